// The job records in Redis: one JSON string per job, plus index sets for listing. Every
// write is a compare-and-set on the exact record that was read (a Lua script), so a cancel
// racing a worker step, or two workers after a lock was lost, can never both win: the loser
// re-reads and decides again.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isFinal, JOB_STATES, scopedIdempotencyKey, type Job, type JobState } from '../core/job.ts';
import { stageStartedAt } from '../core/state-machine.ts';
import { jobIdTimePrefix } from '../core/ids.ts';
import { DEFAULT_EVENTS_MAX_LENGTH, jobEventFields } from '../core/events.ts';

const ACTIVE_STATES = JOB_STATES.filter((state) => !isFinal(state));
import { luaScript, type LuaScript } from './lua-script.ts';
import { RELEASE_SLOT_LUA, TAKE_SLOT_LUA, WAITERS_TO_WAKE, type SlotTake, type SlotTerms } from './run-slots.ts';
import type { Keys } from './redis-keys.ts';
import { hasLabels, jobIdOfMember, matchesSearch, searchEntries, searchEntryChanges, type IndexEntry } from './job-index.ts';

// The search index edits every write script ends its KEYS and ARGV with (job-index.ts):
// KEYS[first..]: one key per edit; ARGV[at] = the number of edits n, then n pairs of
// op ("+" adds, "-" removes) and member. Returns the ARGV position after the edits.
const APPLY_INDEX_EDITS = `
local function applyIndexEdits(first, at)
  local n = tonumber(ARGV[at])
  for i = 1, n do
    local op, member = ARGV[at + 2 * i - 1], ARGV[at + 2 * i]
    if op == '+' then redis.call('ZADD', KEYS[first + i - 1], 0, member) else redis.call('ZREM', KEYS[first + i - 1], member) end
  end
  return at + 2 * n + 1
end
`;

// KEYS: job, all, state-index, pipeline-index, idempotency (or "" when none), pipeline's queued-since, events,
//       then the search index keys (one per edit)
// ARGV: job json, job id, idempotency record json, entered-queued ms ("" when not queued),
//       events max length, the search index edits, then the job.<state> event's field/value pairs
// Returns: the idempotency record that existed already, or nil when the job was created (and
// its event appended, in the same script: no job without its event, no event without its job).
const CREATE_SCRIPT = `${APPLY_INDEX_EDITS}
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
local events = applyIndexEdits(8, 6)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, events))
return false
`;

// KEYS: job, old state index, new state index, finished, pipeline's queued-since, events,
//       the run slots' global set, pipeline set, waiters and launches-paused flag ("" each
//       without a slot change),
//       then the search index keys (one per edit; none unless labels or inputs changed)
// ARGV: SHA-1 of the expected json, new json, job id, finished-at ms ("" when not final),
//       entered-queued ms ("" when not queued), events max length,
//       the slot change: "" (none), "give" (then how many waiters to name and the attempt read) or "take" (then
//       the global cap, the pipeline cap and the waiter score), in ARGV[7..10] ("give-if-written":
//       given back only when the write goes through),
//       the search index edits, then the transition's event field/value pairs (none when the
//       write is not a transition)
// Returns: {1, waiters...} when written (with its event), {0, waiters...} when the record
// changed since it was read (then no event, and no slot taken), {2} when the slot to take
// is not free and {3} when launches are paused (then nothing is written; the job joins the
// waiters). A slot to give is given back whatever the write's outcome, as a separate release
// before the write would, unless the record it lost to is of a later attempt (a worker that
// lost its step to another and wrote late): that attempt may hold the job's slot by now, and
// giving it back would let it run beyond the caps.
// The step that starts a run takes its slot, and the one that ends it gives it back, in the
// same round trip as their writes (run-slots.ts holds both functions).
// (The expected record is sent as its hash, which halves what every step sends.)
const COMPARE_AND_SET_SCRIPT = `${APPLY_INDEX_EDITS}${RELEASE_SLOT_LUA}${TAKE_SLOT_LUA}
local waiters = {}
local current = redis.call('GET', KEYS[1])
local unchanged = current and redis.sha1hex(current) == ARGV[1]
if ARGV[7] == 'give' and (unchanged or not current or cjson.decode(current).attempt == tonumber(ARGV[9])) then
  waiters = releaseSlot(KEYS[7], KEYS[8], KEYS[9], ARGV[3], tonumber(ARGV[8]))
end
if not unchanged then return {0, unpack(waiters)} end
if ARGV[7] == 'give-if-written' then waiters = releaseSlot(KEYS[7], KEYS[8], KEYS[9], ARGV[3], tonumber(ARGV[8])) end
if ARGV[7] == 'take' then
  local took = takeSlot(KEYS[7], KEYS[8], KEYS[9], KEYS[10], ARGV[3], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10])
  if took == 'full' then return {2} end
  if took == 'paused' then return {3} end
end
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[2] ~= KEYS[3] then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, ARGV[3])
end
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3]) else redis.call('ZREM', KEYS[4], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3]) else redis.call('ZREM', KEYS[5], ARGV[3]) end
local events = applyIndexEdits(11, 11)
if #ARGV >= events then redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', unpack(ARGV, events)) end
return {1, unpack(waiters)}
`;

// KEYS: job, all, state index, pipeline index, finished, idempotency (or ""), pipeline's queued-since,
//       then the search index keys (one per edit)
// ARGV: job id, SHA-1 of the record as read, the search index edits (removals of every entry of that record)
// Deletes only the record that was read (a retry may have re-queued it since), with every
// index entry. Returns 1 or 0.
const DELETE_SCRIPT = `${APPLY_INDEX_EDITS}
local current = redis.call('GET', KEYS[1])
if not current or redis.sha1hex(current) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
if KEYS[6] ~= '' then redis.call('DEL', KEYS[6]) end
redis.call('ZREM', KEYS[7], ARGV[1])
applyIndexEdits(8, 3)
return 1
`;

// KEYS: job, then the search index keys (one per edit)
// ARGV: SHA-1 of the record as read, the search index edits (additions of every entry of that record)
// Adds the entries of a record written before the search indexes existed (the backfill), only
// while the record is still the one read: a record deleted since gets no orphan entries.
// Returns 1 when written, 0 when the record changed or is gone.
const INDEX_SCRIPT = `${APPLY_INDEX_EDITS}
local current = redis.call('GET', KEYS[1])
if not current or redis.sha1hex(current) ~= ARGV[1] then return 0 end
applyIndexEdits(2, 2)
return 1
`;

/** The KEYS and ARGV parts of a script's search index edits (APPLY_INDEX_EDITS). */
function indexEdits(removed: readonly IndexEntry[], added: readonly IndexEntry[]): { keys: string[]; args: string[] } {
  const edits = [...removed.map((entry) => ['-', entry] as const), ...added.map((entry) => ['+', entry] as const)];
  return { keys: edits.map(([, entry]) => entry.key), args: [String(edits.length), ...edits.flatMap(([op, entry]) => [op, entry.member])] };
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** When a queued job's queued stage began (state-machine.ts stageStartedAt), as the queued-since score; "" for other states. */
const enteredQueuedMs = (job: Job): string => (job.state === 'queued' ? String(stageStartedAt(job)) : '');

export type IdempotencyRecord = { jobId: string; bodyHash: string };

export type StoredJob = { job: Job; raw: string };

/** A job's record as stored: every write compares against these exact characters (by hash). */
export const jobRecord = (job: Job): string => JSON.stringify(job);

export type JobPage = { items: Job[]; nextCursor?: string };

/** The order list() walks in: by creation time, newest or oldest first (job ids sort by creation time). */
export type ListOrder = 'newest' | 'oldest';

export type JobFilter = {
  state?: JobState;
  pipeline?: string;
  /** `key=value` pairs a job carries all of (its labels, fixed at submit). */
  labels?: readonly string[];
  /** Created at or after this time. */
  from?: Date;
  /** Created before this time. */
  until?: Date;
  /** A job id or its start, or the start of an input's path or file name (job-index.ts matchesSearch). */
  q?: string;
  cursor?: string;
  limit: number;
  /** Newest first when absent. */
  order?: ListOrder;
};

/** Records finishedIn() reads per MGET: a bounded reply however long the window. */
const FINISHED_BATCH = 1_000;

/** Batches one list() call reads at most before it returns with a cursor. */
const MAX_BATCHES = 20;

/** Search matches list() reads whole; past this it walks a time-ordered index checking the search per job. */
export const SEARCH_MATCHES_READ_AT_MOST = 10_000;

/** Job ids sort by creation time, so a time range is an id range: `lower` inclusive, `upper` exclusive. */
type IdRange = { lower?: string; upper?: string };

function idRange(filter: JobFilter): IdRange {
  return {
    ...(filter.from ? { lower: jobIdTimePrefix(filter.from.getTime()) } : {}),
    ...(filter.until ? { upper: jobIdTimePrefix(filter.until.getTime()) } : {}),
  };
}

const inRange = (id: string, range: IdRange): boolean => (range.lower === undefined || id >= range.lower) && (range.upper === undefined || id < range.upper);

/**
 * Ids in the list's order past the cursor (below it newest first, above it oldest first),
 * `count` at a time; `answersOne` when being in it answers one of the filters.
 */
type JobSource = { answersOne: boolean; next(cursor: string | undefined, count: number): Promise<string[]> };

/** A source over ids already read (the search's matches, given newest first). */
function idsSource(newestFirst: readonly string[], order: ListOrder): JobSource {
  const ids = order === 'oldest' ? [...newestFirst].reverse() : newestFirst;
  const isPast = (id: string, cursor: string): boolean => (order === 'oldest' ? id > cursor : id < cursor);
  return {
    answersOne: true,
    next: async (cursor, count) => {
      const start = cursor === undefined ? 0 : ids.findIndex((id) => isPast(id, cursor));
      return start === -1 ? [] : ids.slice(start, start + count);
    },
  };
}

function matchesFilter(job: Job, filter: JobFilter): boolean {
  if (filter.state && job.state !== filter.state) return false;
  if (filter.pipeline && job.pipeline !== filter.pipeline) return false;
  if (filter.labels && !hasLabels(job, filter.labels)) return false;
  return !filter.q || matchesSearch(job, filter.q);
}

/** Called after each committed transition, in the process that wrote it (metrics, events). */
export type TransitionListener = (job: Job, previous: Job) => void;

/**
 * What the job steps need of the records (JobStore in Redis; an in-memory fake in unit tests):
 * read one, write it back on a compare-and-set, and find queued jobs that are overdue.
 */
/** How a write that ends a run gives its slot back: by default first, whatever the write's outcome. */
export type ReleaseOptions = { onlyIfWritten?: boolean };

/**
 * Applies `change` to the freshest record until the write wins. `change` returns undefined
 * to leave the record as it is. Returns the record as written (or as found).
 */
export async function updateRecord(records: Pick<JobRecords, 'read' | 'compareAndSet'>, id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
  for (;;) {
    const current = await records.read(id);
    if (!current) return undefined;
    const next = change(current.job);
    if (!next) return current.job;
    if (await records.compareAndSet(current, next)) return next;
  }
}

export interface JobRecords {
  read(id: string): Promise<StoredJob | undefined>;
  compareAndSet(current: StoredJob, next: Job): Promise<StoredJob | undefined>;
  /**
   * compareAndSet, giving the job's run slot back first in the same round trip (given back
   * whatever the write's outcome, or with `onlyIfWritten` only when the write goes through);
   * `waiters` are the jobs to wake for the freed slot.
   */
  releaseSlotAndSet(current: StoredJob, next: Job, options?: ReleaseOptions): Promise<{ written: StoredJob | undefined; waiters: string[] }>;
  /**
   * compareAndSet, taking a run slot for the job in the same round trip: written only when the
   * record is unchanged and a slot taken (`slot` 'full' or 'paused': a cap is reached or
   * launches are paused, nothing is written, and the job joins the slot's waiters).
   */
  takeSlotAndSet(current: StoredJob, next: Job, terms: SlotTerms): Promise<{ written: StoredJob | undefined; slot: SlotTake }>;
  /** Ids of the pipeline's queued jobs that entered `queued` before `enteredBeforeMs`, longest waiting first. */
  queuedBefore(pipeline: string, enteredBeforeMs: number, limit: number): Promise<string[]>;
}

export class JobStore implements JobRecords {
  private readonly listeners: TransitionListener[] = [];
  private readonly createScript: LuaScript;
  private readonly compareAndSetScript: LuaScript;
  private readonly deleteScript: LuaScript;
  private readonly indexScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** How many entries the event stream keeps (SLUICE_EVENTS_MAX_LENGTH). */
    private readonly eventsMaxLength: number = DEFAULT_EVENTS_MAX_LENGTH,
  ) {
    this.createScript = luaScript(redis, CREATE_SCRIPT);
    this.compareAndSetScript = luaScript(redis, COMPARE_AND_SET_SCRIPT);
    this.deleteScript = luaScript(redis, DELETE_SCRIPT);
    this.indexScript = luaScript(redis, INDEX_SCRIPT);
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
    const edits = indexEdits([], searchEntries(job, this.keys));
    const existing = (await this.createScript(
      [
        this.keys.job(job.id),
        this.keys.allJobs,
        this.keys.byState(job.state),
        this.keys.byPipeline(job.pipeline),
        job.idempotencyKey ? this.keys.idempotency(scopedIdempotencyKey(job.idempotencyKey, job.idempotencyScope)) : '',
        this.keys.queuedSince(job.pipeline),
        this.keys.events,
        ...edits.keys,
      ],
      [jobRecord(job), job.id, JSON.stringify(idempotency ?? null), enteredQueuedMs(job), this.eventsMaxLength, ...edits.args, ...jobEventFields(job)],
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
    return (await this.write(current, next)).written;
  }

  async releaseSlotAndSet(current: StoredJob, next: Job, options: ReleaseOptions = {}): Promise<{ written: StoredJob | undefined; waiters: string[] }> {
    return this.write(current, next, { give: true, onlyIfWritten: options.onlyIfWritten ?? false });
  }

  async takeSlotAndSet(current: StoredJob, next: Job, terms: SlotTerms): Promise<{ written: StoredJob | undefined; slot: SlotTake }> {
    const { written, noSlot } = await this.write(current, next, { take: terms });
    return { written, slot: noSlot ?? 'taken' };
  }

  /** The compare-and-set script, with the slot change it makes (see COMPARE_AND_SET_SCRIPT). */
  private async write(
    current: StoredJob,
    next: Job,
    slot?: { give: true; onlyIfWritten: boolean } | { take: SlotTerms },
  ): Promise<{ written: StoredJob | undefined; waiters: string[]; noSlot?: Exclude<SlotTake, 'taken'> }> {
    const finishedAt = isFinal(next.state) ? String(Date.parse(next.updatedAt)) : '';
    const raw = jobRecord(next);
    // A new history entry is a transition, including loading → loading (a load retried):
    // only a transition is an event; a record change within a state (a run handle, a load
    // outcome) is not.
    const isTransition = next.history.length !== current.job.history.length;
    const changes = searchEntryChanges(current.job, next, this.keys);
    const edits = indexEdits(changes.removed, changes.added);
    const slotKeys = slot ? [this.keys.runningGlobal, this.keys.runningPipeline(current.job.pipeline), this.keys.slotWaiters, this.keys.launchesPaused] : ['', '', '', ''];
    const slotArgs = !slot
      ? ['', '', '', '']
      : 'give' in slot
        ? [slot.onlyIfWritten ? 'give-if-written' : 'give', WAITERS_TO_WAKE, current.job.attempt, '']
        : ['take', slot.take.globalCap, slot.take.pipelineCap, slot.take.waiterScore];
    const [written, ...waiters] = (await this.compareAndSetScript(
      [
        this.keys.job(next.id),
        this.keys.byState(current.job.state),
        this.keys.byState(next.state),
        this.keys.finished,
        this.keys.queuedSince(next.pipeline),
        this.keys.events,
        ...slotKeys,
        ...edits.keys,
      ],
      [
        sha1(current.raw),
        raw,
        next.id,
        finishedAt,
        enteredQueuedMs(next),
        this.eventsMaxLength,
        ...slotArgs,
        ...edits.args,
        ...(isTransition ? jobEventFields(next, current.job) : []),
      ],
    )) as [number, ...string[]];
    if (written === 2) return { written: undefined, waiters: [], noSlot: 'full' };
    if (written === 3) return { written: undefined, waiters: [], noSlot: 'paused' };
    if (written !== 1) return { written: undefined, waiters };
    if (isTransition) for (const listener of this.listeners) listener(next, current.job);
    return { written: { job: next, raw }, waiters };
  }

  /** updateRecord() on this store. */
  update(id: string, change: (job: Job) => Job | undefined): Promise<Job | undefined> {
    return updateRecord(this, id, change);
  }

  async readIdempotency(key: string, scope: string | undefined): Promise<IdempotencyRecord | undefined> {
    const raw = await this.redis.get(this.keys.idempotency(scopedIdempotencyKey(key, scope)));
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
  }

  /**
   * Newest first (or oldest first with `order: 'oldest'`); the cursor is the last id examined
   * by the previous page, and the next page carries on past it in the same order. Every
   * filter is served by an index: the smallest of the candidate indexes (state, pipeline,
   * each label, or the search's matches when there are few) is walked in order within the
   * time range, and the other filters are checked per job in bounded batches; after the last
   * batch the cursor carries on from where the walk stopped, so a page may hold fewer items
   * than `limit` and still have a next page.
   */
  async list(filter: JobFilter): Promise<JobPage> {
    const range = idRange(filter);
    if (range.upper !== undefined && range.lower !== undefined && range.lower >= range.upper) return { items: [] };
    const source = await this.chooseSource(filter, range);
    const conditions = (filter.state ? 1 : 0) + (filter.pipeline ? 1 : 0) + (filter.labels?.length ?? 0) + (filter.q ? 1 : 0);
    const needsCheck = conditions > (source.answersOne ? 1 : 0);
    // One id past the page tells whether a next page exists, so the last page has no cursor.
    const batchSize = needsCheck ? Math.max(filter.limit + 1, 100) : filter.limit + 1;
    const items: Job[] = [];
    let cursor = filter.cursor;
    for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
      const ids = await source.next(cursor, batchSize);
      const raws = ids.length > 0 ? await this.redis.mget(ids.map((id) => this.keys.job(id))) : [];
      for (let i = 0; i < ids.length; i += 1) {
        if (items.length === filter.limit) return { items, nextCursor: items.at(-1)!.id };
        cursor = ids[i]!;
        const raw = raws[i];
        if (!raw) continue;
        const job = JSON.parse(raw) as Job;
        if (needsCheck && !matchesFilter(job, filter)) continue;
        items.push(job);
      }
      if (ids.length < batchSize) return { items };
    }
    return { items, nextCursor: cursor! };
  }

  /**
   * The index list() walks: the one with the fewest ids in the time range (a ZLEXCOUNT each,
   * O(log n)), or the search's matches read whole when they are fewer still and at most
   * SEARCH_MATCHES_READ_AT_MOST.
   */
  private async chooseSource(filter: JobFilter, range: IdRange): Promise<JobSource> {
    const candidates = [
      ...(filter.state ? [this.keys.byState(filter.state)] : []),
      ...(filter.pipeline ? [this.keys.byPipeline(filter.pipeline)] : []),
      ...(filter.labels ?? []).map((pair) => this.keys.byLabel(pair)),
    ];
    const min = range.lower !== undefined ? `[${range.lower}` : '-';
    const max = range.upper !== undefined ? `(${range.upper}` : '+';
    const counts = await Promise.all(candidates.map((key) => this.redis.zlexcount(key, min, max)));
    const best = candidates.length > 0 ? counts.indexOf(Math.min(...counts)) : -1;
    const bestCount = best === -1 ? Number.POSITIVE_INFINITY : counts[best]!;
    if (filter.q) {
      const search = await this.searchMatches(filter.q, Math.min(bestCount, SEARCH_MATCHES_READ_AT_MOST + 1));
      if (search) return idsSource(search.filter((id) => inRange(id, range)), filter.order ?? 'newest');
    }
    const key = best === -1 ? this.keys.allJobs : candidates[best]!;
    if (filter.order === 'oldest') {
      return {
        answersOne: best !== -1,
        next: (cursor, count) => {
          const lower = cursor !== undefined && (range.lower === undefined || cursor >= range.lower) ? `(${cursor}` : min;
          return this.redis.zrangebylex(key, lower, max, 'LIMIT', 0, count);
        },
      };
    }
    return {
      answersOne: best !== -1,
      next: (cursor, count) => {
        const upper = cursor !== undefined && (range.upper === undefined || cursor < range.upper) ? cursor : range.upper;
        return this.redis.zrevrangebylex(key, upper !== undefined ? `(${upper}` : '+', min, 'LIMIT', 0, count);
      },
    };
  }

  /**
   * The ids `q` matches (matchesSearch), newest first, read from the all-jobs, path and file
   * name sets; undefined when there are `readBelow` or more entries to read (then the walk of
   * another index checks the search per job instead).
   */
  private async searchMatches(q: string, readBelow: number): Promise<string[] | undefined> {
    const low = Buffer.from(`[${q}`);
    const high = Buffer.concat([low, Buffer.from([0xff])]);
    const sets = [this.keys.allJobs, this.keys.inputPaths, this.keys.inputNames];
    const counts = await Promise.all(sets.map((key) => this.redis.zlexcount(key, low, high)));
    if (counts.reduce((sum, count) => sum + count, 0) >= readBelow) return undefined;
    const [ids, paths, names] = await Promise.all(sets.map((key) => this.redis.zrangebylex(key, low, high)));
    const matches = new Set([...ids!, ...[...paths!, ...names!].map(jobIdOfMember)]);
    return [...matches].sort().reverse();
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

  /**
   * The jobs that reached a final state in [fromMs, untilMs] (the finished index's score),
   * newest first, at most `limit` of them (read in batches of FINISHED_BATCH), with `total`,
   * how many the window holds. A job deleted or retried between the two reads is left out.
   */
  async finishedIn(fromMs: number, untilMs: number, limit: number): Promise<{ total: number; runs: { job: Job; finishedAtMs: number }[] }> {
    const [total, scored] = await Promise.all([
      this.redis.zcount(this.keys.finished, fromMs, untilMs),
      this.redis.zrevrangebyscore(this.keys.finished, untilMs, fromMs, 'WITHSCORES', 'LIMIT', 0, limit),
    ]);
    const runs: { job: Job; finishedAtMs: number }[] = [];
    for (let start = 0; start < scored.length; start += 2 * FINISHED_BATCH) {
      const pairs = scored.slice(start, start + 2 * FINISHED_BATCH);
      const ids = pairs.filter((_, i) => i % 2 === 0);
      const raws = await this.redis.mget(ids.map((id) => this.keys.job(id)));
      raws.forEach((raw, i) => {
        if (!raw) return;
        const job = JSON.parse(raw) as Job;
        if (isFinal(job.state)) runs.push({ job, finishedAtMs: Number(pairs[2 * i + 1]) });
      });
    }
    return { total, runs };
  }

  /** Deletes the job as it was read; false when it changed since (then it stays). */
  async delete(stored: StoredJob): Promise<boolean> {
    const { job } = stored;
    const edits = indexEdits(searchEntries(job, this.keys), []);
    const deleted = await this.deleteScript(
      [
        this.keys.job(job.id),
        this.keys.allJobs,
        this.keys.byState(job.state),
        this.keys.byPipeline(job.pipeline),
        this.keys.finished,
        job.idempotencyKey ? this.keys.idempotency(scopedIdempotencyKey(job.idempotencyKey, job.idempotencyScope)) : '',
        this.keys.queuedSince(job.pipeline),
        ...edits.keys,
      ],
      [job.id, sha1(stored.raw), ...edits.args],
    );
    return deleted === 1;
  }

  /**
   * Writes the search index entries of a record as read (for records written before the
   * indexes existed; writing them again is harmless). False when the record changed since.
   */
  async indexSearch(stored: StoredJob): Promise<boolean> {
    const edits = indexEdits([], searchEntries(stored.job, this.keys));
    return (await this.indexScript([this.keys.job(stored.job.id), ...edits.keys], [sha1(stored.raw), ...edits.args])) === 1;
  }

  /** Up to `limit` job ids after `afterId` (all when absent), oldest first: the backfill's walk. */
  async idsAfter(afterId: string | undefined, limit: number): Promise<string[]> {
    return this.redis.zrangebylex(this.keys.allJobs, afterId ? `(${afterId}` : '-', '+', 'LIMIT', 0, limit);
  }

  /** Where the search index backfill got to: "done", the last id it indexed, or undefined before it began. */
  async searchBackfillMark(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.searchBackfill)) ?? undefined;
  }

  async setSearchBackfillMark(mark: string): Promise<void> {
    await this.redis.set(this.keys.searchBackfill, mark);
  }
}
