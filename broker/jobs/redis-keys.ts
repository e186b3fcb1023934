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
  };
}
