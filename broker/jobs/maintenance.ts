// Housekeeping that keeps the promises over time, run by every worker process on a timer:
// - reconcile: a job that is not finished must have a step in the queue (a crash between
//   writing the record and queueing it, or a step that BullMQ gave up on, would strand it),
//   and a job waiting for a run slot must still be queued;
// - expire: finished jobs older than the retention are removed, their driver logs first
//   archived into the lake under _logs/.
import type { Logger } from 'pino';
import type { Launcher } from '../launchers/launcher.ts';
import type { LakeStorage } from '../lake/storage.ts';
import type { JobQueue } from './job-queue.ts';
import type { JobStore } from './job-store.ts';
import type { RunSlots } from './run-slots.ts';

export type MaintenanceDeps = {
  store: JobStore;
  queue: JobQueue;
  slots: RunSlots;
  launcher: Launcher;
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
    await deps.queue.enqueue(job);
    requeued += 1;
    deps.logger.warn({ jobId: id, state: job.state }, 'job had no queued step; queued it again');
  }
  await deps.slots.pruneWaiters(new Set(await deps.store.idsInState('queued')));
  return requeued;
}

export async function expireFinishedJobs(deps: MaintenanceDeps, batch = 100): Promise<number> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const ids = await deps.store.finishedBefore(now - deps.retentionMs, batch);
  for (const id of ids) {
    const job = await deps.store.get(id);
    if (!job) continue;
    const handles = deps.launcher.runsOf ? await deps.launcher.runsOf(id) : job.run ? [job.run] : [];
    for (const handle of handles) {
      let log = '';
      for await (const chunk of deps.launcher.logs(handle)) log += chunk;
      await deps.lake.write(`_logs/${job.pipeline}/${job.id}/attempt-${handle.attempt}/driver.log`, log);
      await deps.launcher.remove?.(handle);
    }
    await deps.store.delete(job);
    deps.logger.info({ jobId: id, runs: handles.length }, 'expired finished job; logs archived');
  }
  return ids.length;
}
