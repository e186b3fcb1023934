// The record of webhook deliveries (docs/adr/0020-alerts.md): every attempt is appended to
// its job's list (a landing quarantined at the door: its fingerprint's), which expires with
// the job's retention; a delivery's last attempt also goes to a capped list of recent ones,
// and one that failed for good to a capped list of failures, for the dashboard's overview.
import type { Redis } from 'ioredis';
import { DeliveryAttemptSchema, type DeliveryAttempt } from '../core/alerts.ts';
import type { NotifyKeys } from './notify-keys.ts';

/** Attempts kept per job: 8 attempts × a few targets × a few alerts, with room. */
export const JOB_LOG_LENGTH = 200;
/** Deliveries kept in the recent and failed lists. */
export const GLOBAL_LOG_LENGTH = 1_000;

/** Whose log an attempt goes to: a job's, or (a landing without a job) a landing's. */
export type DeliverySubject = { jobId: string } | { fingerprint: string };

export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: NotifyKeys,
    /** How long a job's log is kept after its last attempt (SLUICE_RETENTION). */
    private readonly retentionMs: number,
  ) {}

  async record(subject: DeliverySubject, attempt: DeliveryAttempt): Promise<void> {
    const entry = JSON.stringify(attempt);
    const key = 'jobId' in subject ? this.keys.jobLog(subject.jobId) : this.keys.landingLog(subject.fingerprint);
    const write = this.redis.multi().rpush(key, entry).ltrim(key, -JOB_LOG_LENGTH, -1).pexpire(key, this.retentionMs);
    if (attempt.final) write.lpush(this.keys.recent, entry).ltrim(this.keys.recent, 0, GLOBAL_LOG_LENGTH - 1);
    if (attempt.final && !attempt.ok) write.lpush(this.keys.failed, entry).ltrim(this.keys.failed, 0, GLOBAL_LOG_LENGTH - 1);
    await write.exec();
  }

  /** A job's attempts, oldest first. */
  async forJob(jobId: string): Promise<DeliveryAttempt[]> {
    return parsed(await this.redis.lrange(this.keys.jobLog(jobId), 0, -1));
  }

  /** The last attempt of recent deliveries, newest first; `failed`: only those that failed for good. */
  async recent(options: { failed: boolean; limit: number }): Promise<{ items: DeliveryAttempt[]; total: number }> {
    const key = options.failed ? this.keys.failed : this.keys.recent;
    const [entries, total] = await Promise.all([this.redis.lrange(key, 0, options.limit - 1), this.redis.llen(key)]);
    return { items: parsed(entries), total };
  }
}

/** Entries this version can read (one written by a newer version with other fields still parses; a broken one is skipped). */
function parsed(entries: string[]): DeliveryAttempt[] {
  const attempts: DeliveryAttempt[] = [];
  for (const entry of entries) {
    try {
      const result = DeliveryAttemptSchema.safeParse(JSON.parse(entry));
      if (result.success) attempts.push(result.data);
    } catch {
      // not JSON: skipped
    }
  }
  return attempts;
}
