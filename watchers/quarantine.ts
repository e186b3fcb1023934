// Quarantining landings: the one piece of code for both places a bad file is found — at the
// door (its footer does not fit the pipeline) and after a job failed with class `data`.
// Each file moves to the pipeline's `after.quarantine` location, keeping its path below the
// source, with `<name>.reason.txt` beside it; then its landing becomes quarantined with the
// reason. Safe to repeat: a file already moved is left alone, the ledger move is from-state
// checked. Without a quarantine location the file stays where it landed, and the ledger
// (which knows its path) keeps it from being batched again.
import type { After } from '../broker/core/landing-config.ts';
import { joinLocation, type LandingFiles } from './landing-files.ts';
import type { LandingLedger, LandingRecord } from './landing-ledger.ts';

export type QuarantineDeps = {
  ledger: Pick<LandingLedger, 'quarantine'>;
  files: Pick<LandingFiles, 'move' | 'writeText'>;
};

/**
 * `reason` goes into the ledger (and the reason file); `context` heads the reason file (who
 * found the file bad, and when). Returns the fingerprints this call quarantined.
 */
export async function quarantineLandings(
  deps: QuarantineDeps,
  after: After,
  landings: ReadonlyArray<Pick<LandingRecord, 'fingerprint' | 'uri' | 'path'>>,
  reason: string,
  context: string,
): Promise<string[]> {
  if (after.quarantine) {
    for (const landing of landings) {
      const target = joinLocation(after.quarantine, landing.path);
      await deps.files.move(landing.uri, target);
      await deps.files.writeText(`${target}.reason.txt`, `${context}:\n${reason}\n`);
    }
  }
  return deps.ledger.quarantine(landings.map((landing) => landing.fingerprint), reason);
}
