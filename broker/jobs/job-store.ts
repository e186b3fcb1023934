// The job records in Redis: one JSON string per job, plus index sets for listing. Every
// write is a compare-and-set on the exact record that was read (a Lua script), so a cancel
// racing a worker step, or two workers after a lock was lost, can never both win: the loser
// re-reads and decides again.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isFinal, JOB_STATES, scopedIdempotencyKey, type Job, type JobState } from '../core/job.ts';
import { stageStartedAt } from '../core/state-machine.ts';
import { DEFAULT_EVENTS_MAX_LENGTH, jobEventFields } from '../core/events.ts';

const ACTIVE_STATES = JOB_STATES.filter((state) => !isFinal(state));
import { luaScript, type LuaScript } from './lua-script.ts';
import type { Keys } from './redis-keys.ts';

// KEYS: job, all, state-index, pipeline-index, idempotency (or "" when none), pipeline's queued-since, events
// ARGV: job json, job id, idempotency record json, entered-queued ms ("" when not queued),
//       events max length, then the job.<state> event's field/value pairs
// Returns: the idempotency record that existed already, or nil when the job was created (and
// its event appended, in the same script: no job without its event, no event without its job).
const CREATE_SCRIPT = `
if KEYS[5] ~= '' then
  local existing = redis.call('GET', KEYS[5])
  if existing then return existing end
  redis.call('SET', KEYS[5], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[6], ARGV[4], ARGV[2]) end
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, 6))
return false
`;

// KEYS: job, old state index, new state index, finished, pipeline's queued-since, events
// ARGV: SHA-1 of the expected json, new json, job id, finished-at ms ("" when not final),
//       entered-queued ms ("" when not queued), events max length, then the transition's
//       event field/value pairs (none when the write is not a transition)
// Returns: 1 when written (with its event), 0 when the record changed since it was read (and
// then no event either).
// (The expected record is sent as its hash, which halves what every step sends.)
const COMPARE_AND_SET_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or redis.sha1hex(current) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[2] ~= KEYS[3] then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, ARGV[3])
end
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3]) else redis.call('ZREM', KEYS[4], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3]) else redis.call('ZREM', KEYS[5], ARGV[3]) end
if #ARGV > 6 then redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', unpack(ARGV, 7)) end
return 1
`;

// KEYS: job, all, state index, pipeline index, finished, idempotency (or ""), pipeline's queued-since
// ARGV: job id, SHA-1 of the record as read
// Deletes only the record that was read (a retry may have re-queued it since). Returns 1 or 0.
const DELETE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current or redis.sha1hex(current) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
if KEYS[6] ~= '' then redis.call('DEL', KEYS[6]) end
redis.call('ZREM', KEYS[7], ARGV[1])
return 1
`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** When a queued job's queued stage began (state-machine.ts stageStartedAt), as the queued-since score; "" for other states. */
const enteredQueuedMs = (job: Job): string => (job.state === 'queued' ? String(stageStartedAt(job)) : '');

export type IdempotencyRecord = { jobId: string; bodyHash: string };

export type StoredJob = { job: Job; raw: string };

export type JobPage = { items: Job[]; nextCursor?: string };

export type JobFilter = { state?: JobState; pipeline?: string; cursor?: string; limit: number };

/** Called after each committed transition, in the process that wrote it (metrics, events). */
export type TransitionListener = (job: Job, previous: Job) => void;

/**
 * What the job steps need of the records (JobStore in Redis; an in-memory fake in unit tests):
 * read one, write it back on a compare-and-set, and find queued jobs that are overdue.
 */
export interface JobRecords {
  read(id: string): Promise<StoredJob | undefined>;
  compareAndSet(current: StoredJob, next: Job): Promise<StoredJob | undefined>;
  /** Ids of the pipeline's queued jobs that entered `queued` before `enteredBeforeMs`, longest waiting first. */
  queuedBefore(pipeline: string, enteredBeforeMs: number, limit: number): Promise<string[]>;
}

export class JobStore implements JobRecords {
  private readonly listeners: TransitionListener[] = [];
  private readonly createScript: LuaScript;
  private readonly compareAndSetScript: LuaScript;
  private readonly deleteScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** How many entries the event stream keeps (SLUICE_EVENTS_MAX_LENGTH). */
    private readonly eventsMaxLength: number = DEFAULT_EVENTS_MAX_LENGTH,
  ) {
    this.createScript = luaScript(redis, CREATE_SCRIPT);
    this.compareAndSetScript = luaScript(redis, COMPARE_AND_SET_SCRIPT);
    this.deleteScript = luaScript(redis, DELETE_SCRIPT);
  }

  onTransition(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  /**
   * The same records over another connection (the API's, which fails fast while Redis is
   * away: docs/adr/0014-request-path-timeouts.md), telling this store's transition listeners.
   */
  overConnection(redis: Redis): JobStore {
    const other = new JobStore(redis, this.keys, this.eventsMaxLength);
    other.onTransition((job, previous) => {
      for (const listener of this.listeners) listener(job, previous);
    });
    return other;
  }

  /** Creates the job, or returns the idempotency record that already holds its key. */
  async create(job: Job, idempotency?: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const existing = (await this.createScript(
      [
        this.keys.job(job.id),
        this.keys.allJobs,
        this.keys.byState(job.state),
        this.keys.byPipeline(job.pipeline),
        job.idempotencyKey ? this.keys.idempotency(scopedIdempotencyKey(job.idempotencyKey, job.idempotencyScope)) : '',
        this.keys.queuedSince(job.pipeline),
        this.keys.events,
      ],
      [JSON.stringify(job), job.id, JSON.stringify(idempotency ?? null), enteredQueuedMs(job), this.eventsMaxLength, ...jobEventFields(job)],
    )) as string | null;
    return existing ? (JSON.parse(existing) as IdempotencyRecord) : undefined;
  }

  async read(id: string): Promise<StoredJob | undefined> {
    const raw = await this.redis.get(this.keys.job(id));
    // Records are written only by this class, from validated jobs: parsing without
    // re-validating keeps the worker's hot path cheap.
    return raw === null ? undefined : { job: JSON.parse(raw) as Job, raw };
  }

  async get(id: string): Promise<Job | undefined> {
    return (await this.read(id))?.job;
  }

  /**
   * Writes `next` only if the record is still `current.raw`. Returns the record as written,
   * or undefined when someone else wrote first.
   */
  async compareAndSet(current: StoredJob, next: Job): Promise<StoredJob | undefined> {
    const finishedAt = isFinal(next.state) ? String(Date.parse(next.updatedAt)) : '';
    const raw = JSON.stringify(next);
    // A new history entry is a transition, including loading → loading (a load retried):
    // only a transition is an event; a record change within a state (a run handle, a load
    // outcome) is not.
    const isTransition = next.history.length !== current.job.history.length;
    const written = await this.compareAndSetScript(
      [
        this.keys.job(next.id),
        this.keys.byState(current.job.state),
        this.keys.byState(next.state),
        this.keys.finished,
        this.keys.queuedSince(next.pipeline),
        this.keys.events,
      ],
      [sha1(current.raw), raw, next.id, finishedAt, enteredQueuedMs(next), this.eventsMaxLength, ...(isTransition ? jobEventFields(next, current.job) : [])],
    );
    if (written !== 1) return undefined;
    if (isTransition) for (const listener of this.listeners) listener(next, current.job);
    return { job: next, raw };
  }

  /**
   * Applies `change` to the freshest record until the write wins. `change` returns undefined
   * to leave the record as it is. Returns the record as written (or as found).
   */
  async update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
    for (;;) {
      const current = await this.read(id);
      if (!current) return undefined;
      const next = change(current.job);
      if (!next) return current.job;
      if (await this.compareAndSet(current, next)) return next;
    }
  }

  async readIdempotency(key: string, scope: string | undefined): Promise<IdempotencyRecord | undefined> {
    const raw = await this.redis.get(this.keys.idempotency(scopedIdempotencyKey(key, scope)));
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
  }

  /** Newest first; the cursor is the last id of the previous page. */
  async list(filter: JobFilter): Promise<JobPage> {
    const index = filter.state ? this.keys.byState(filter.state) : filter.pipeline ? this.keys.byPipeline(filter.pipeline) : this.keys.allJobs;
    const needsPipelineCheck = Boolean(filter.state && filter.pipeline);
    // One id past the page tells whether a next page exists, so the last page has no cursor.
    const batchSize = needsPipelineCheck ? Math.max(filter.limit + 1, 100) : filter.limit + 1;
    const items: Job[] = [];
    let cursor = filter.cursor;
    // With both filters, scan the state index in batches and keep the pipeline's jobs; a
    // bounded number of batches keeps one request cheap, and the cursor carries on from there.
    for (let batch = 0; batch < 20; batch += 1) {
      const ids = await this.redis.zrevrangebylex(index, cursor ? `(${cursor}` : '+', '-', 'LIMIT', 0, batchSize);
      const raws = ids.length > 0 ? await this.redis.mget(ids.map((id) => this.keys.job(id))) : [];
      for (let i = 0; i < ids.length; i += 1) {
        if (items.length === filter.limit) return { items, nextCursor: items.at(-1)!.id };
        cursor = ids[i]!;
        const raw = raws[i];
        if (!raw) continue;
        const job = JSON.parse(raw) as Job;
        if (needsPipelineCheck && job.pipeline !== filter.pipeline) continue;
        items.push(job);
      }
      if (ids.length < batchSize) return { items };
    }
    return { items, nextCursor: cursor! };
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts = await Promise.all(JOB_STATES.map((state) => this.redis.zcard(this.keys.byState(state))));
    return Object.fromEntries(JOB_STATES.map((state, i) => [state, counts[i]!])) as Record<JobState, number>;
  }

  async idsInState(state: JobState): Promise<string[]> {
    return this.redis.zrange(this.keys.byState(state), 0, -1);
  }

  /** Ids of jobs in non-final states, for the reconciler. */
  async activeIds(): Promise<string[]> {
    const lists = await Promise.all(ACTIVE_STATES.map((state) => this.redis.zrange(this.keys.byState(state), 0, -1)));
    return lists.flat();
  }

  /**
   * One range read per pipeline whatever the number of queued jobs: what the queued-timeout
   * sweep runs every second (see ADR 0011).
   */
  async queuedBefore(pipeline: string, enteredBeforeMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.queuedSince(pipeline), '-inf', `(${enteredBeforeMs}`, 'LIMIT', 0, limit);
  }

  /** Ids of jobs that finished before `beforeMs`, oldest first. */
  async finishedBefore(beforeMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.finished, '-inf', beforeMs, 'LIMIT', 0, limit);
  }

  /** Deletes the job as it was read; false when it changed since (then it stays). */
  async delete(stored: StoredJob): Promise<boolean> {
    const { job } = stored;
    const deleted = await this.deleteScript(
      [
        this.keys.job(job.id),
        this.keys.allJobs,
        this.keys.byState(job.state),
        this.keys.byPipeline(job.pipeline),
        this.keys.finished,
        job.idempotencyKey ? this.keys.idempotency(scopedIdempotencyKey(job.idempotencyKey, job.idempotencyScope)) : '',
        this.keys.queuedSince(job.pipeline),
      ],
      [job.id, sha1(stored.raw)],
    );
    return deleted === 1;
  }
}
