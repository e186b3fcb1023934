// Quarantining landings: the one piece of code for both places a bad file is found — at the
// door (its footer does not fit the pipeline) and after a job failed with class `data`.
// Each file moves to the pipeline's `after.quarantine` location, keeping its path below the
// source, with `<name>.reason.txt` beside it; then its landing becomes quarantined with the
// reason. Without a quarantine location the file stays where it landed, and the ledger
// (which knows its path) keeps it from being batched again.
//
// Moving a landing's file away (here, and the archive of the finish work) goes through
// putAway():
//   - only the landing's own version moves: when the file at its path is no longer the version
//     the ledger recorded (size and mtime on a folder, ETag on S3), a producer has put a newer
//     file there, which is another landing's; it is left in place and the caller says so;
//   - nothing is overwritten: when `<location>/<path>` is taken (yesterday's orders.parquet,
//     another bad file of the same name), the file goes beside it as
//     `<stem>.<first 12 of the fingerprint><.ext>` (docs/adr/0012, "Finish work");
//   - the name chosen is recorded on the landing (`movedTo`) before the move, so a repeat after
//     a crash finds it, and re-admit brings back this landing's file, not a namesake's.
// Safe to repeat: a file already moved is left alone, the ledger move is from-state checked.
import type { After } from '../broker/core/landing-config.ts';
import { besideName, joinLocation, type FileOutcome, type FileVersion, type LandingFiles } from './landing-files.ts';
import type { LandingLedger, LandingRecord } from './landing-ledger.ts';

/** The ledger and file calls quarantining needs; those marked optional are used when given (the door's tests give fakes without them). */
export type QuarantineDeps = {
  ledger: Pick<LandingLedger, 'quarantine'> & Partial<Pick<LandingLedger, 'getMany' | 'pathRecord' | 'noteMovedTo'>>;
  files: {
    move(from: string, to: string, expected?: FileVersion): Promise<FileOutcome | void>;
    writeText(uri: string, text: string): Promise<void>;
    exists?: LandingFiles['exists'];
  };
};

/** What putAway() needs of a landing: a full record, or what the door holds (a ready landing). */
export type LandingToMove = Pick<LandingRecord, 'fingerprint' | 'uri' | 'path'> & Partial<Pick<LandingRecord, 'source' | 'size' | 'mtimeMs' | 'etag' | 'movedTo'>>;

/** Where putAway() left the landing's file: moved (or moved already) to `to`, gone before it, or left in place as another landing's. */
export type PutAway = { outcome: 'moved'; to: string } | { outcome: 'missing' } | { outcome: 'replaced' };

/** Said in the ledger (and logged) of a landing whose file was rewritten before its finish work moved it. */
export const REPLACED_NOTE = 'its file had been replaced by a newer version before it could be moved; the newer file was left in place, as a landing of its own';

/**
 * The version of the landing's file the ledger knows: on a folder the path index's record
 * while it still names this landing (a touch moves the mtime there), else the landing's own;
 * on S3 its ETag and size. Undefined when nothing is recorded (then nothing is compared).
 */
export async function recordedVersion(ledger: Partial<Pick<LandingLedger, 'pathRecord'>>, landing: LandingToMove): Promise<FileVersion | undefined> {
  if (landing.size === undefined) return undefined;
  if (landing.uri.startsWith('s3://')) return { size: landing.size, ...(landing.etag ? { etag: landing.etag } : {}) };
  const known = landing.source && ledger.pathRecord ? await ledger.pathRecord(landing.source, landing.path) : undefined;
  if (known?.fingerprint === landing.fingerprint) return { size: known.size, mtimeMs: known.mtimeMs };
  return { size: landing.size, ...(landing.mtimeMs !== undefined ? { mtimeMs: landing.mtimeMs } : {}) };
}

/**
 * Moves the landing's own file under `location`, never over another file (see the header).
 * A landing whose file is gone and was moved by an earlier run reports where it went.
 */
export async function putAway(deps: QuarantineDeps, location: string, landing: LandingToMove): Promise<PutAway> {
  const plain = joinLocation(location, landing.path);
  const beside = besideName(plain, landing.fingerprint);
  const mine = landing.movedTo === plain || landing.movedTo === beside ? landing.movedTo : undefined;
  const expected = await recordedVersion(deps.ledger, landing);
  // The source is still there, so no earlier run moved it: a file at `plain` is another's.
  const target = deps.files.exists && (await deps.files.exists(plain)) && (await deps.files.exists(landing.uri)) ? beside : (mine ?? plain);
  if (target !== landing.movedTo) await deps.ledger.noteMovedTo?.(landing.fingerprint, target);
  const outcome = (await deps.files.move(landing.uri, target, expected)) ?? 'done';
  if (outcome === 'done') return { outcome: 'moved', to: target };
  // Moved by an earlier run (which recorded the name first), or gone before anything moved it.
  if (outcome === 'missing' && mine) return { outcome: 'moved', to: mine };
  await deps.ledger.noteMovedTo?.(landing.fingerprint, '');
  return outcome === 'missing' ? { outcome: 'missing' } : { outcome: 'replaced' };
}

/**
 * `reason` goes into the ledger (and the reason file); `context` heads the reason file (who
 * found the file bad, and when). Returns the fingerprints this call quarantined; those whose
 * file had been replaced by a newer one (left in place) are quarantined with REPLACED_NOTE
 * added to the reason, and listed in `replaced` when given.
 */
export async function quarantineLandings(
  deps: QuarantineDeps,
  after: After,
  landings: ReadonlyArray<LandingToMove>,
  reason: string,
  context: string,
  replaced: string[] = [],
): Promise<string[]> {
  if (after.quarantine) {
    // The ledger's records where it has them: the recorded version (ETag) and any name chosen before.
    const records = new Map((deps.ledger.getMany ? await deps.ledger.getMany(landings.map((landing) => landing.fingerprint)) : []).map((record) => [record.fingerprint, record]));
    for (const given of landings) {
      const landing = records.get(given.fingerprint) ?? given;
      const put = await putAway(deps, after.quarantine, landing);
      if (put.outcome === 'replaced') replaced.push(landing.fingerprint);
      if (put.outcome === 'moved') await deps.files.writeText(`${put.to}.reason.txt`, `${context}:\n${reason}\n`);
    }
  }
  const own = landings.map((landing) => landing.fingerprint).filter((fingerprint) => !replaced.includes(fingerprint));
  const quarantined = await deps.ledger.quarantine(own, reason);
  if (replaced.length > 0) quarantined.push(...(await deps.ledger.quarantine(replaced, `${reason} (${REPLACED_NOTE})`)));
  return quarantined;
}
