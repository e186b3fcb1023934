// Job ids sort by creation time (so listings and lake run folders read in order) and are
// safe in paths, Redis keys and Kubernetes names: lowercase letters and digits only.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function newJobId(now: number, randomBytes: Uint8Array): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 9; i += 1) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (const byte of randomBytes.subarray(0, 8)) rand += ALPHABET[byte % 32]!;
  return `j${time}${rand}`;
}
