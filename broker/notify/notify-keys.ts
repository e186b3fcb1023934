// The notifier's Redis keys (docs/adr/0020-alerts.md), under Sluice's prefix. The events
// stream's key itself is the job store's (broker/jobs/redis-keys.ts).
export type NotifyKeys = ReturnType<typeof notifyKeys>;

export function notifyKeys(prefix: string) {
  const p = `${prefix}:notify:`;
  return {
    /** A job's delivery log: one JSON entry per attempt, oldest first, capped, expiring with the job's retention. */
    jobLog: (jobId: string) => `${p}job:${jobId}`,
    /** A landing quarantined at the door (no job): its delivery log, under its fingerprint. */
    landingLog: (fingerprint: string) => `${p}landing:${fingerprint}`,
    /** The last attempt of recent deliveries (delivered or failed for good), newest first, capped. */
    recent: `${p}recent`,
    /** Deliveries that failed for good, newest first, capped. */
    failed: `${p}failed`,
    /** Jobs with a deadline, scored by it (ms); a job leaves when it succeeds, is cancelled, or its deadline is raised. */
    deadlines: `${p}deadlines`,
  };
}

/** The consumer group every notifier of one Sluice reads the events stream in. */
export const NOTIFIER_GROUP = 'notifier';
