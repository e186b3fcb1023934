// Job ids sort by creation time (so listings and lake run folders read in order) and are
// safe in paths, Redis keys and Kubernetes names: lowercase letters and digits only.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * The start every id made at `ms` shares ("j" and the time in 9 base-32 digits): ids made at
 * or after `ms` sort at or after it, ids made before sort before it. Time ranges over the
 * lex-sorted job indexes are id ranges built from it.
 */
export function jobIdTimePrefix(ms: number): string {
  let time = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 9; i += 1) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return `j${time}`;
}

export function newJobId(now: number, randomBytes: Uint8Array): string {
  let rand = '';
  for (const byte of randomBytes.subarray(0, 8)) rand += ALPHABET[byte % 32]!;
  return `${jobIdTimePrefix(now)}${rand}`;
}

const JOB_ID = /^j([0-9a-hjkmnp-tv-z]{9})[0-9a-hjkmnp-tv-z]{8}$/;

/** When the job of this id was created (ms since the epoch), or undefined for a string that is no job id. */
export function jobIdTime(id: string): number | undefined {
  const match = JOB_ID.exec(id);
  if (!match) return undefined;
  let ms = 0;
  for (const digit of match[1]!) ms = ms * 32 + ALPHABET.indexOf(digit);
  return ms;
}
