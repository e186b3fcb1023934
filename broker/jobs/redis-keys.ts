// Every Redis key Sluice writes outside BullMQ, in one place, under one prefix.
export type Keys = ReturnType<typeof redisKeys>;

export function redisKeys(prefix: string) {
  const p = `${prefix}:`;
  return {
    job: (id: string) => `${p}job:${id}`,
    /** Index sets hold job ids with score 0, so they sort by id, i.e. by creation time. */
    allJobs: `${p}jobs:all`,
    byState: (state: string) => `${p}jobs:state:${state}`,
    byPipeline: (pipeline: string) => `${p}jobs:pipeline:${pipeline}`,
    /** Job ids carrying one label, as `key=value` (job-index.ts). */
    byLabel: (pair: string) => `${p}jobs:label:${pair}`,
    /** Every input path as `path\0jobid`, lex-sorted, for path search (job-index.ts). */
    inputPaths: `${p}jobs:paths`,
    /** Every input's file name as `name\0jobid`, lex-sorted, for file name search (job-index.ts). */
    inputNames: `${p}jobs:names`,
    /** Set once every job written before the search indexes has its entries (maintenance.ts backfill); holds how far the backfill got until then. */
    searchBackfill: `${p}jobs:search-backfill`,
    /** Finished jobs scored by finish time (ms), for retention. */
    finished: `${p}jobs:finished`,
    /** A pipeline's queued jobs scored by when their queued stage began (ms, stageStartedAt), for the queued timeout sweep. */
    queuedSince: (pipeline: string) => `${p}jobs:queued-since:${pipeline}`,
    idempotency: (key: string) => `${p}idem:${key}`,
    /**
     * Stream of job and landing events (docs/adr/0015-event-stream.md), appended by the job
     * store's and the landing ledger's scripts; the ledger's scripts spell it P .. 'events'.
     */
    events: `${p}events`,
    /** The local launcher's runs lease: which runs directory workers use (broker/launchers/runs-dir-lease.ts). */
    localRunsLease: `${p}launchers:local:lease`,
    runningGlobal: `${p}slots:all`,
    runningPipeline: (pipeline: string) => `${p}slots:pipeline:${pipeline}`,
    /** Jobs waiting for a slot, scored by priority then creation time. */
    slotWaiters: `${p}slots:waiters`,
    /** Exists while launches are paused (POST /v1/queues/jobs/pause): no job takes a run slot (ADR 0025). */
    launchesPaused: `${p}slots:paused`,
  };
}
