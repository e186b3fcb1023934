// Housekeeping that keeps the promises over time, run by every worker process on a timer:
// - reconcile: a job that is not finished must have a step in the queue (a crash between
//   writing the record and queueing it, or a step that BullMQ gave up on, would strand it),
//   and a job waiting for a run slot must still be queued;
// - expire: finished jobs older than the retention are removed, their driver logs first
//   archived into the lake under _logs/;
// - backfill (with reconcile): jobs written before the search indexes existed get their
//   label, path and file name entries, a bounded batch per round, once.
import type { Logger } from 'pino';
import type { LauncherRegistry } from '../launchers/launcher-registry.ts';
import type { LakeStorage } from '../lake/storage.ts';
import { CALL_CAP_MS, withDeadline } from './call-deadline.ts';
import type { JobQueue } from './job-queue.ts';
import type { JobStore } from './job-store.ts';
import type { RunSlots } from './run-slots.ts';

const LEAKED_SLOT_AFTER_MS = 60_000;

export type MaintenanceDeps = {
  store: JobStore;
  queue: JobQueue;
  slots: RunSlots;
  launchers: LauncherRegistry;
  lake: LakeStorage;
  logger: Logger;
  retentionMs: number;
  now?: () => Date;
};

export async function reconcileQueue(deps: MaintenanceDeps): Promise<number> {
  let requeued = 0;
  for (const id of await deps.store.activeIds()) {
    if (await deps.queue.has(id)) continue;
    const job = await deps.store.get(id);
    if (!job) continue;
    await deps.queue.requeue(job);
    requeued += 1;
    deps.logger.warn({ jobId: id, state: job.state }, 'job had no queued step; queued it again');
  }
  await deps.slots.pruneWaiters(new Set(await deps.store.idsInState('queued')));
  const now = (deps.now ?? (() => new Date()))().getTime();
  const freed = await deps.slots.pruneHolders(async (id) => {
    const job = await deps.store.get(id);
    if (!job) return ''; // the record is gone: only the global set still names the job
    if (job.state === 'launching' || job.state === 'running' || job.state === 'loading') return undefined;
    // A queued job holds a slot alone only between a waiting job's acquire and its write of
    // `launching` (which takes the slot again if it was given back here meanwhile); one still
    // queued a minute later lost its worker in between.
    if (job.state === 'queued' && now - Date.parse(job.updatedAt) < LEAKED_SLOT_AFTER_MS) return undefined;
    return job.pipeline;
  });
  if (freed.length > 0) deps.logger.warn({ jobIds: freed }, 'gave back run slots held by jobs no longer running');
  // sluice.ts runs reconcile every round: the backfill rides along until it is done.
  await backfillSearchIndex(deps);
  return requeued;
}

const BACKFILL_DONE = 'done';

/**
 * Gives jobs written before the search indexes (labels, input paths, file names; job-index.ts)
 * their entries, so that the jobs list finds them too: up to `batch` jobs per call, oldest
 * first, resuming after the last id it reached (kept in Redis, so any worker carries on);
 * writing an entry twice is harmless, a job deleted meanwhile gets none. Once it reaches the
 * newest job it marks itself done and costs one GET per round from then on: every job written
 * since carries its entries from its first write. Returns how many jobs it indexed.
 */
export async function backfillSearchIndex(deps: Pick<MaintenanceDeps, 'store' | 'logger'>, batch = 2_000): Promise<number> {
  const { store } = deps;
  const mark = await store.searchBackfillMark();
  if (mark === BACKFILL_DONE) return 0;
  if (mark === undefined) deps.logger.info('search index backfill started');
  const ids = await store.idsAfter(mark, batch);
  let indexed = 0;
  for (const id of ids) {
    // A record changed between the read and the write is read again (a step moved it on).
    for (let tries = 0; tries < 3; tries += 1) {
      const stored = await store.read(id);
      if (!stored) break;
      if (await store.indexSearch(stored)) {
        indexed += 1;
        break;
      }
    }
  }
  if (ids.length < batch) {
    await store.setSearchBackfillMark(BACKFILL_DONE);
    deps.logger.info({ indexed }, 'search index backfill finished');
  } else {
    await store.setSearchBackfillMark(ids.at(-1)!);
  }
  return indexed;
}

/** Driver log lines archived per run: the end of a log is what explains a run, and a bound keeps expiry's memory flat. */
const ARCHIVED_LOG_LINES = 20_000;

export async function expireFinishedJobs(deps: MaintenanceDeps, batch = 100): Promise<number> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  let expired = 0;
  for (const id of await deps.store.finishedBefore(now - deps.retentionMs, batch)) {
    try {
      if (await expireJob(deps, id)) expired += 1;
    } catch (error) {
      // One job that cannot be expired must not hold back the others.
      deps.logger.warn({ jobId: id, err: (error as Error).message }, 'could not expire job; will try again');
    }
  }
  return expired;
}

async function expireJob(deps: MaintenanceDeps, id: string): Promise<boolean> {
  const stored = await deps.store.read(id);
  if (!stored) return false;
  const { job } = stored;
  // Launcher calls are bounded like the job steps' (ADR 0011): a launcher that hangs fails
  // this job's expiry for this round, not the whole sweep.
  const runs = await withDeadline('launchers: runsOf()', CALL_CAP_MS, () => deps.launchers.runsOf(id));
  const handles = runs.length > 0 ? runs : job.run ? [job.run] : [];
  for (const handle of handles) {
    const launcher = deps.launchers.forHandle(handle);
    const log = await withDeadline(`launcher ${launcher.name}: logs()`, CALL_CAP_MS, async (signal) => {
      let text = '';
      for await (const chunk of launcher.logs(handle, { tail: ARCHIVED_LOG_LINES, signal })) text += chunk;
      return text;
    });
    await deps.lake.write(`_logs/${job.pipeline}/${job.id}/attempt-${handle.attempt}/driver.log`, log);
  }
  // A retry since the read keeps the job (and its runs) for another round.
  if (!(await deps.store.delete(stored))) return false;
  for (const handle of handles) {
    const launcher = deps.launchers.forHandle(handle);
    await withDeadline(`launcher ${launcher.name}: remove()`, CALL_CAP_MS, async () => launcher.remove?.(handle));
  }
  deps.logger.info({ jobId: id, runs: handles.length }, 'expired finished job; logs archived');
  return true;
}
