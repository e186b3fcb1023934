// The landing ledger's Redis keys, in one place. The Lua scripts build the same names from
// the prefix (see landing-ledger.ts), so a change here must be made there too; the ledger's
// integration test checks that every key the scripts write is one of these.
export type LandingKeys = ReturnType<typeof landingKeys>;

// The states live with the event shapes in broker/core (events name them: landing.<state>).
import type { LandingState } from '../broker/core/events.ts';
export { LANDING_STATES, type LandingState } from '../broker/core/events.ts';

export function landingKeys(prefix: string) {
  const p = `${prefix}:`;
  return {
    /** What the scripts prepend; ends with ":". */
    base: p,
    landing: (fingerprint: string) => `${p}landing:${fingerprint}`,
    /** Index sets hold "<seenAt ms, 13 digits>:<fingerprint>" with score 0: they sort newest last, by lex. */
    all: `${p}landings:all`,
    byState: (state: LandingState) => `${p}landings:by-state:${state}`,
    bySource: (source: string) => `${p}landings:by-source:${source}`,
    bySourceState: (source: string, state: LandingState) => `${p}landings:by-source-state:${state}:${source}`,
    /** Hash: path relative to the source root → JSON PathRecord of the path's last version. */
    paths: (source: string) => `${p}landings:paths:${source}`,
    /** Hash: path → fingerprint of a version seen but not yet ready (superseded by a newer one). */
    seenPaths: (source: string) => `${p}landings:seen-paths:${source}`,
    batch: (batchId: string) => `${p}landing-batch:${batchId}`,
    /** Job id → the batch it was submitted for. */
    jobBatch: (jobId: string) => `${p}landing-job:${jobId}`,
    /** Batches claimed but not yet holding a job id, scored by claim time (ms). */
    openBatches: `${p}landing-batches:open`,
    /**
     * Pub/sub channel (not a key): fingerprints put back to ready by a release, as a JSON
     * array, for the watch role to batch them again at once in whichever process it runs.
     */
    released: `${p}landings:released`,
    /** Stream of job and landing events, shared with the job store (broker/jobs/redis-keys.ts `events`). */
    events: `${p}events`,
    /** String: an S3 source's listing cursor, the greatest key taken in so far. */
    s3Cursor: (source: string) => `${p}landings:s3-cursor:${source}`,
  };
}
