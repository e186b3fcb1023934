// The landing ledger: one Redis hash per fingerprint, moving
//
//   seen ──► ready ──► batched (batch id, then job id) ──► done
//    │        ▲│  ▲       │
//    │        ││  └───────┘ release (the rest of a batch whose job failed on a corrupt file)
//    └────────┼┴──────────┴──► quarantined (reason)
//             └────────────────────┘ re-admit (an operator fixed the file; who and when recorded)
//
// A seen landing is removed, not moved, when a newer version of its path is recorded or when
// its file goes before it is ready: it was only ever a partial file.
//
// Every transition is one Lua script that checks the current state first, so several Sluice
// processes watching the same source agree without a leader: recording a landing twice is a
// no-op, and of two processes claiming the same ready files for a batch, only the first gets
// them. The index sets (all, by state, by source, by source and state) and the per-source
// path index move inside the same scripts.
//
// Every state change also appends a landing.<state> event to the event stream (P .. 'events'),
// in the same script (docs/adr/0015-event-stream.md).
//
// The scripts build key names from the prefix (as BullMQ's scripts do) because one batch may
// hold files of several sources; Sluice runs one Redis, not a cluster.
import type { Redis } from 'ioredis';
import { DEFAULT_EVENTS_MAX_LENGTH } from '../broker/core/events.ts';
import { luaScript, type LuaScript } from '../broker/jobs/lua-script.ts';
import type { PathRecord } from './fingerprint.ts';
import { LANDING_STATES, landingKeys, type LandingKeys, type LandingState } from './landing-keys.ts';

/** Open batches read per round trip, and at most per call, when looking for one pipeline's. */
const OPEN_BATCHES_PAGE = 200;
const OPEN_BATCHES_READ = 10_000;

const PRELUDE = `
local P = ARGV[1]
local NOW = ARGV[2]
local EVENTS_MAX_LENGTH = ARGV[3]
local function landingKey(fp) return P .. 'landing:' .. fp end
local function indexAdd(source, state, member)
  redis.call('ZADD', P .. 'landings:by-state:' .. state, 0, member)
  redis.call('ZADD', P .. 'landings:by-source-state:' .. state .. ':' .. source, 0, member)
end
local function indexRemove(source, state, member)
  redis.call('ZREM', P .. 'landings:by-state:' .. state, member)
  redis.call('ZREM', P .. 'landings:by-source-state:' .. state .. ':' .. source, member)
end
local function move(fp, from, to)
  local key = landingKey(fp)
  local f = redis.call('HMGET', key, 'source', 'member')
  indexRemove(f[1], from, f[2])
  indexAdd(f[1], to, f[2])
  redis.call('HSET', key, 'state', to, to .. 'At', NOW, 'updatedAt', NOW)
end
-- Appends the landing's change to the event stream (docs/adr/0015-event-stream.md), in the
-- script that makes it, reading the landing's record as written; from is nil for a new
-- landing. The pipeline is the batch's when the caller does not name one.
local function emit(fp, from, to, reason, pipeline)
  local f = redis.call('HMGET', landingKey(fp), 'source', 'path', 'batchId', 'jobId')
  local fields = {'type', 'landing.' .. to, 'time', NOW, 'state', to}
  local function add(name, value) fields[#fields + 1] = name; fields[#fields + 1] = value end
  if from then add('from', from) end
  if (not pipeline or pipeline == '') and f[3] then pipeline = redis.call('HGET', P .. 'landing-batch:' .. f[3], 'pipeline') end
  if pipeline and pipeline ~= '' then add('pipeline', pipeline) end
  if f[4] then add('job', f[4]) end
  if reason and reason ~= '' then add('reason', string.sub(reason, 1, 1000)) end
  add('fp', fp)
  add('source', f[1] or '')
  add('path', f[2] or '')
  if f[3] then add('batch', f[3]) end
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX_LENGTH, '*', unpack(fields))
end
local function remove(fp)
  local key = landingKey(fp)
  local f = redis.call('HMGET', key, 'source', 'member', 'state')
  if not f[1] then return end
  indexRemove(f[1], f[3], f[2])
  redis.call('ZREM', P .. 'landings:all', f[2])
  redis.call('ZREM', P .. 'landings:by-source:' .. f[1], f[2])
  redis.call('DEL', key)
end
`;

// ARGV: prefix, now, events max length, target state (seen|ready), fingerprint, index member,
//       source, path, path record json, then field/value pairs of the landing
// Returns {state after the call, 1 when this call changed it else 0}; a change appends its
// landing.<state> event (keys: the landing's, its indexes, the path hashes, the event stream).
// A landing that exists already keeps its state unless it moves seen → ready: recording is
// idempotent. The path index points at the path's last *ready* version (what the touch rule
// compares with); a "seen" version (a partial file seen mid-write) is tracked apart and is
// superseded, its record deleted, when a newer version of the path is recorded (or removed by
// FORGET_SEEN_SCRIPT when the file goes).
const RECORD_SCRIPT = `${PRELUDE}
local target, fp, member, source, path, pathJson = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local key = landingKey(fp)
local pathsKey = P .. 'landings:paths:' .. source
local seenKey = P .. 'landings:seen-paths:' .. source
local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
local pending = redis.call('HGET', seenKey, path)
if pending and pending ~= fp then
  if redis.call('HGET', landingKey(pending), 'state') == 'seen' then remove(pending) end
  redis.call('HDEL', seenKey, path)
end
local state = redis.call('HGET', key, 'state')
if not state then
  redis.call('HSET', key, 'state', target, 'member', member, 'seenAt', NOW, 'updatedAt', NOW, unpack(fields))
  if target ~= 'seen' then redis.call('HSET', key, target .. 'At', NOW) end
  redis.call('ZADD', P .. 'landings:all', 0, member)
  redis.call('ZADD', P .. 'landings:by-source:' .. source, 0, member)
  indexAdd(source, target, member)
  if target == 'seen' then redis.call('HSET', seenKey, path, fp) else redis.call('HSET', pathsKey, path, pathJson) end
  emit(fp, nil, target, '', '')
  return {target, 1}
end
if state == 'seen' and target == 'ready' then
  if #fields > 0 then redis.call('HSET', key, unpack(fields)) end
  move(fp, 'seen', 'ready')
  redis.call('HDEL', seenKey, path)
  redis.call('HSET', pathsKey, path, pathJson)
  emit(fp, 'seen', 'ready', '', '')
  return {'ready', 1}
end
if target == 'ready' then redis.call('HSETNX', pathsKey, path, pathJson) end
return {state, 0}
`;

// ARGV: prefix, now (unused), events max length (unused), source, path, fingerprint
// Returns 1 when the landing was removed (keys: the source's seen paths, the landing's and its
// indexes): the path's seen version was still that landing, and it was still seen. For a file
// that went (deleted, renamed away) before it was complete: there is nothing of it to run, and
// the landing listing must not show it waiting. The path's pointer goes whenever it names the
// landing (one quarantined while seen keeps its record). No event: landing.<state> events
// announce states, and "gone before it was complete" is none a consumer can act on (nothing
// of the file was ever ready); a seen version superseded by a newer one (RECORD_SCRIPT) goes
// silently too.
const FORGET_SEEN_SCRIPT = `${PRELUDE}
local seenKey = P .. 'landings:seen-paths:' .. ARGV[4]
local path, fp = ARGV[5], ARGV[6]
if redis.call('HGET', seenKey, path) ~= fp then return 0 end
redis.call('HDEL', seenKey, path)
if redis.call('HGET', landingKey(fp), 'state') ~= 'seen' then return 0 end
remove(fp)
return 1
`;

// ARGV: prefix, now, events max length, batch id, pipeline, fingerprints...
// Returns {fingerprint, generation, ...} of the landings this call moved ready → batched (the
// generation counts the landing's returns to ready, "0" for none); the others were not ready
// (for instance claimed a moment ago by another process). The batch record lists what was claimed.
const CLAIM_SCRIPT = `${PRELUDE}
local batchId, pipeline = ARGV[4], ARGV[5]
local claimed = {}
local result = {}
for i = 6, #ARGV do
  local fp = ARGV[i]
  if redis.call('HGET', landingKey(fp), 'state') == 'ready' then
    move(fp, 'ready', 'batched')
    redis.call('HSET', landingKey(fp), 'batchId', batchId)
    redis.call('HDEL', landingKey(fp), 'jobId')
    emit(fp, 'ready', 'batched', '', pipeline)
    claimed[#claimed + 1] = fp
    result[#result + 1] = fp
    result[#result + 1] = redis.call('HGET', landingKey(fp), 'generation') or '0'
  end
end
if #claimed > 0 then
  redis.call('HSET', P .. 'landing-batch:' .. batchId, 'pipeline', pipeline, 'createdAt', NOW, 'fingerprints', table.concat(claimed, ' '))
  redis.call('ZADD', P .. 'landing-batches:open', NOW, batchId)
end
return result
`;

// ARGV: prefix, now, events max length, batch id, job id
// (Not a state change: no event; the landings' later events carry the job id.)
// Returns how many landings of the batch now carry the job id (those still batched under it).
const ASSIGN_JOB_SCRIPT = `${PRELUDE}
local batchId, jobId = ARGV[4], ARGV[5]
local batchKey = P .. 'landing-batch:' .. batchId
local fps = redis.call('HGET', batchKey, 'fingerprints')
if not fps then return 0 end
redis.call('HSET', batchKey, 'jobId', jobId)
redis.call('SET', P .. 'landing-job:' .. jobId, batchId)
redis.call('ZREM', P .. 'landing-batches:open', batchId)
local n = 0
for fp in string.gmatch(fps, '%S+') do
  local f = redis.call('HMGET', landingKey(fp), 'state', 'batchId')
  if f[1] == 'batched' and f[2] == batchId then
    redis.call('HSET', landingKey(fp), 'jobId', jobId, 'updatedAt', NOW)
    n = n + 1
  end
end
return n
`;

// ARGV: prefix, now, events max length, target state, reason ("" for none), allowed from-states
//       (space separated), fingerprints...
// Returns the fingerprints moved. Used for done (from batched), release (batched → ready,
// forgetting the batch, counting the landing's returns to ready in `generation`) and quarantine
// (from seen, ready or batched, with a reason).
// A release PUBLISHes the moved fingerprints (JSON array) on `<prefix>landings:released`, in
// the same script, so no release is made without its announcement; a watcher that was
// not subscribed then finds the landings ready when it starts.
const MOVE_SCRIPT = `${PRELUDE}
local target, reason, allowed = ARGV[4], ARGV[5], ' ' .. ARGV[6] .. ' '
local moved = {}
for i = 7, #ARGV do
  local fp = ARGV[i]
  local state = redis.call('HGET', landingKey(fp), 'state')
  if state and string.find(allowed, ' ' .. state .. ' ', 1, true) then
    move(fp, state, target)
    -- Before a release forgets the batch, so that its event names the batch and job it left.
    emit(fp, state, target, reason, '')
    if target == 'ready' then
      redis.call('HDEL', landingKey(fp), 'batchId', 'jobId', 'batchedAt')
      redis.call('HINCRBY', landingKey(fp), 'generation', 1)
    end
    if reason ~= '' then redis.call('HSET', landingKey(fp), 'reason', reason) end
    moved[#moved + 1] = fp
  end
end
if target == 'ready' and #moved > 0 then redis.call('PUBLISH', P .. 'landings:released', cjson.encode(moved)) end
return moved
`;

// ARGV: prefix, now (unused), events max length (unused), source, path, expected fingerprint,
//       new path record json ("" to forget the path)
// Returns 1 when the path still belonged to the expected landing and was changed.
const SET_PATH_SCRIPT = `${PRELUDE}
local pathsKey = P .. 'landings:paths:' .. ARGV[4]
local current = redis.call('HGET', pathsKey, ARGV[5])
if not current or cjson.decode(current).fingerprint ~= ARGV[6] then return 0 end
if ARGV[7] == '' then redis.call('HDEL', pathsKey, ARGV[5]) else redis.call('HSET', pathsKey, ARGV[5], ARGV[7]) end
return 1
`;

// ARGV: prefix, now, events max length, fingerprint, who re-admits it, path record json of the
//       file as it now is ("" to leave the path index alone), then field/value pairs to update
//       (size, mtimeMs, ino, sample of the file put back)
// Returns {state before the call, 1 when this call moved it quarantined → ready else 0}; the
// state is "" for an unknown fingerprint. The landing's `generation` goes up (its next batch is
// a new job, not a replay of the one that failed on it) and its `movedTo` goes (the file is back). A move appends landing.ready (from quarantined, the
// reason naming who re-admitted it, the job it was quarantined from) and PUBLISHes the
// fingerprint on `<prefix>landings:released`, as a release does, so that the watch role
// checks and batches it at once. The path index takes the file's record only while no newer
// landing owns the path: the source then sees the file put back as this landing, not a new one.
const READMIT_SCRIPT = `${PRELUDE}
local fp, by, pathJson = ARGV[4], ARGV[5], ARGV[6]
local key = landingKey(fp)
local state = redis.call('HGET', key, 'state')
if not state then return {'', 0} end
if state ~= 'quarantined' then return {state, 0} end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', key, unpack(fields)) end
move(fp, 'quarantined', 'ready')
emit(fp, 'quarantined', 'ready', 're-admitted by ' .. by, '')
redis.call('HDEL', key, 'batchId', 'jobId', 'batchedAt', 'movedTo')
redis.call('HINCRBY', key, 'generation', 1)
redis.call('HSET', key, 'readmittedAt', NOW, 'readmittedBy', by)
if pathJson ~= '' then
  local f = redis.call('HMGET', key, 'source', 'path')
  local pathsKey = P .. 'landings:paths:' .. f[1]
  local current = redis.call('HGET', pathsKey, f[2])
  if not current or cjson.decode(current).fingerprint == fp then redis.call('HSET', pathsKey, f[2], pathJson) end
end
redis.call('PUBLISH', P .. 'landings:released', cjson.encode({fp}))
return {state, 1}
`;

// ARGV: prefix, now (unused), events max length (unused), fingerprint, uri ("" to forget it)
// Records where the finish work moves the landing's file (archive or quarantine), before it
// moves it; not a state change (no event). Returns 1 when the landing exists (key: the landing's).
const MOVED_TO_SCRIPT = `${PRELUDE}
local key = landingKey(ARGV[4])
if redis.call('HEXISTS', key, 'state') == 0 then return 0 end
if ARGV[5] == '' then redis.call('HDEL', key, 'movedTo') else redis.call('HSET', key, 'movedTo', ARGV[5]) end
return 1
`;

// ARGV: prefix, now (unused), events max length (unused), source, path, path record json
// Returns 1 when the path was free (or already this landing's) and now holds the record.
const CLAIM_PATH_SCRIPT = `${PRELUDE}
local pathsKey = P .. 'landings:paths:' .. ARGV[4]
local record = cjson.decode(ARGV[6])
local current = redis.call('HGET', pathsKey, ARGV[5])
if current and cjson.decode(current).fingerprint ~= record.fingerprint then return 0 end
redis.call('HSET', pathsKey, ARGV[5], ARGV[6])
return 1
`;

/** What a source knows of one landed file when it records it. */
export type LandingInput = {
  fingerprint: string;
  source: string;
  /** Relative to the source root (fs) or the key (s3), with "/" separators. */
  path: string;
  /** What the job reads: an absolute path or an s3:// URI. */
  uri: string;
  size: number;
  mtimeMs?: number;
  etag?: string;
  ino?: number;
  /** The content sample of the touch rule (fs), once known. */
  sample?: string;
};

export type LandingRecord = LandingInput & {
  state: LandingState;
  seenAt: string;
  readyAt?: string;
  batchedAt?: string;
  doneAt?: string;
  quarantinedAt?: string;
  updatedAt: string;
  batchId?: string;
  jobId?: string;
  reason?: string;
  /** The last re-admission of a quarantined landing (POST /v1/landings/{fingerprint}/readmit): when, and by whom. */
  readmittedAt?: string;
  readmittedBy?: string;
  /** How many times the landing went back to ready (released or re-admitted): part of its batch's idempotency key. */
  generation?: number;
  /** Where the finish work moved its file (archive or quarantine), recorded just before the move. */
  movedTo?: string;
};

/** A landing claimed for a batch, with its generation (see LandingRecord). */
export type ClaimedLanding = { fingerprint: string; generation: number };

/** What a source hands the batcher: a complete file, recorded as ready. */
export type ReadyLanding = Required<Pick<LandingInput, 'fingerprint' | 'source' | 'path' | 'uri' | 'size' | 'mtimeMs'>>;

export function readyLanding(landing: LandingInput): ReadyLanding {
  return { fingerprint: landing.fingerprint, source: landing.source, path: landing.path, uri: landing.uri, size: landing.size, mtimeMs: landing.mtimeMs ?? 0 };
}

/** `path`: only landings whose path contains it (case-sensitive); see list() for what that costs. */
export type LandingFilter = { source?: string; state?: LandingState; path?: string; cursor?: string; limit: number };
export type LandingPage = { items: LandingRecord[]; nextCursor?: string };
export type RecordResult = { state: LandingState; changed: boolean };
/** readmit(): `from` is the state found ("" for an unknown fingerprint); `changed` when this call moved it to ready. */
export type ReadmitResult = { from: LandingState | ''; changed: boolean };
/** The file of a landing as it is when put back, for re-admit: what the landing's record and path index then say. */
export type RestoredFile = Pick<LandingInput, 'size'> & Partial<Pick<LandingInput, 'mtimeMs' | 'ino' | 'sample'>>;
export type OpenBatch = { batchId: string; pipeline: string; createdAt: string; fingerprints: string[] };
/** Told of the landings a call of this ledger object moved (not of moves made by other processes). */
export type MovedListener = (fingerprints: string[], to: LandingState, source?: string) => void;

/** How many landings one path-filtered page looks at, at most, and how many per Redis round trip. */
export const PATH_SCAN_LIMIT = 5_000;
const PATH_SCAN_CHUNK = 500;

/** The fingerprint of an index member ("<seenAt ms>:<fingerprint>"). */
const fingerprintOf = (member: string): string => member.slice(member.indexOf(':') + 1);

const iso = (ms: string | undefined): string | undefined => (ms === undefined ? undefined : new Date(Number(ms)).toISOString());

function parseRecord(hash: Record<string, string>): LandingRecord | undefined {
  if (!hash.state) return undefined;
  const record: LandingRecord = {
    fingerprint: hash.fingerprint!,
    source: hash.source!,
    path: hash.path!,
    uri: hash.uri!,
    size: Number(hash.size),
    state: hash.state as LandingState,
    seenAt: iso(hash.seenAt)!,
    updatedAt: iso(hash.updatedAt)!,
  };
  if (hash.mtimeMs !== undefined) record.mtimeMs = Number(hash.mtimeMs);
  if (hash.ino !== undefined) record.ino = Number(hash.ino);
  if (hash.generation !== undefined) record.generation = Number(hash.generation);
  for (const field of ['etag', 'sample', 'batchId', 'jobId', 'reason', 'readmittedBy', 'movedTo'] as const) if (hash[field] !== undefined) record[field] = hash[field];
  for (const field of ['readyAt', 'batchedAt', 'doneAt', 'quarantinedAt', 'readmittedAt'] as const) if (hash[field] !== undefined) record[field] = iso(hash[field]);
  return record;
}

function landingFields(landing: Partial<LandingInput>): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(landing)) if (value !== undefined) fields.push(name, String(value));
  return fields;
}

export function pathRecordOf(landing: LandingInput): PathRecord {
  return {
    fingerprint: landing.fingerprint,
    size: landing.size,
    mtimeMs: landing.mtimeMs ?? 0,
    ino: landing.ino ?? 0,
    ...(landing.sample !== undefined ? { sample: landing.sample } : {}),
  };
}

export class LandingLedger {
  readonly keys: LandingKeys;
  private readonly recordScript: LuaScript;
  private readonly forgetSeenScript: LuaScript;
  private readonly claimScript: LuaScript;
  private readonly assignJobScript: LuaScript;
  private readonly moveScript: LuaScript;
  private readonly setPathScript: LuaScript;
  private readonly readmitScript: LuaScript;
  private readonly claimPathScript: LuaScript;
  private readonly movedToScript: LuaScript;
  private readonly movedListeners: MovedListener[] = [];

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => number = Date.now,
    /** How many entries the event stream keeps (SLUICE_EVENTS_MAX_LENGTH). */
    private readonly eventsMaxLength: number = DEFAULT_EVENTS_MAX_LENGTH,
  ) {
    this.keys = landingKeys(prefix);
    this.recordScript = luaScript(redis, RECORD_SCRIPT);
    this.forgetSeenScript = luaScript(redis, FORGET_SEEN_SCRIPT);
    this.claimScript = luaScript(redis, CLAIM_SCRIPT);
    this.assignJobScript = luaScript(redis, ASSIGN_JOB_SCRIPT);
    this.moveScript = luaScript(redis, MOVE_SCRIPT);
    this.setPathScript = luaScript(redis, SET_PATH_SCRIPT);
    this.readmitScript = luaScript(redis, READMIT_SCRIPT);
    this.claimPathScript = luaScript(redis, CLAIM_PATH_SCRIPT);
    this.movedToScript = luaScript(redis, MOVED_TO_SCRIPT);
  }

  /** `listener` hears every state change made through this object, after it is made (metrics count them). */
  onMoved(listener: MovedListener): void {
    this.movedListeners.push(listener);
  }

  private moved(fingerprints: string[], to: LandingState, source?: string): void {
    if (fingerprints.length === 0) return;
    for (const listener of this.movedListeners) listener(fingerprints, to, source);
  }

  /** Records the landing as seen (first noticed, not yet known complete). Idempotent. */
  markSeen(landing: LandingInput): Promise<RecordResult> {
    return this.record(landing, 'seen');
  }

  /**
   * Records the landing as ready. Idempotent: a landing already ready, batched, done or
   * quarantined keeps its state, and the result says which, so the caller emits only `ready`.
   */
  markReady(landing: LandingInput): Promise<RecordResult> {
    return this.record(landing, 'ready');
  }

  /**
   * Removes the landing recorded seen at `path` when the file went before it was ready: only
   * while the path's seen version is still this landing and its state is still seen (a
   * landing that moved on, or a newer version seen since, is left alone). True when removed.
   */
  async forgetSeen(source: string, path: string, fingerprint: string): Promise<boolean> {
    return (await this.forgetSeenScript([], [this.keys.base, this.now(), this.eventsMaxLength, source, path, fingerprint])) === 1;
  }

  /** The source's paths with a version seen but not yet ready, each with that version's fingerprint (files being written: few). */
  async seenPaths(source: string): Promise<Map<string, string>> {
    const seen = new Map<string, string>();
    for await (const [path, fingerprint] of this.hashEntries(this.keys.seenPaths(source))) seen.set(path, fingerprint);
    return seen;
  }

  private async record(landing: LandingInput, target: 'seen' | 'ready'): Promise<RecordResult> {
    const now = this.now();
    const member = `${String(now).padStart(13, '0')}:${landing.fingerprint}`;
    const [state, changed] = (await this.recordScript(
      [],
      [this.keys.base, now, this.eventsMaxLength, target, landing.fingerprint, member, landing.source, landing.path, JSON.stringify(pathRecordOf(landing)), ...landingFields(landing)],
    )) as [LandingState, number];
    if (changed === 1) this.moved([landing.fingerprint], state, landing.source);
    return { state, changed: changed === 1 };
  }

  /** Moves the still-ready landings among `fingerprints` to batched; returns those it moved. */
  async claimForBatch(fingerprints: readonly string[], batchId: string, options: { pipeline?: string } = {}): Promise<string[]> {
    return (await this.claimBatch(fingerprints, batchId, options)).map((claimed) => claimed.fingerprint);
  }

  /** claimForBatch(), with each claimed landing's generation (for the batch's idempotency key). */
  async claimBatch(fingerprints: readonly string[], batchId: string, options: { pipeline?: string } = {}): Promise<ClaimedLanding[]> {
    if (fingerprints.length === 0) return [];
    const flat = (await this.claimScript([], [this.keys.base, this.now(), this.eventsMaxLength, batchId, options.pipeline ?? '', ...fingerprints])) as string[];
    const claimed: ClaimedLanding[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) claimed.push({ fingerprint: flat[i]!, generation: Number(flat[i + 1]) });
    this.moved(claimed.map((landing) => landing.fingerprint), 'batched');
    return claimed;
  }

  /** Writes the job id on the batch and its landings; the batch is then no longer open. */
  async assignJob(batchId: string, jobId: string): Promise<number> {
    return (await this.assignJobScript([], [this.keys.base, this.now(), this.eventsMaxLength, batchId, jobId])) as number;
  }

  /** The fingerprints a job was submitted for (finalize: done, archive, quarantine, release). */
  async jobLandings(jobId: string): Promise<LandingRecord[]> {
    const batchId = await this.redis.get(this.keys.jobBatch(jobId));
    if (!batchId) return [];
    const fingerprints = await this.redis.hget(this.keys.batch(batchId), 'fingerprints');
    return fingerprints ? (await this.getMany(fingerprints.split(' '))).filter((record) => record.jobId === jobId) : [];
  }

  /**
   * batched → done (after the job succeeded and the files were archived, deleted or kept);
   * `reason` says anything of note (a file replaced by a newer version, left in place).
   */
  markDone(fingerprints: readonly string[], reason = ''): Promise<string[]> {
    return this.move(fingerprints, 'done', reason, ['batched']);
  }

  /** Records where the finish work moves the landing's file ("" forgets it); false for an unknown landing. */
  async noteMovedTo(fingerprint: string, uri: string): Promise<boolean> {
    return (await this.movedToScript([], [this.keys.base, this.now(), this.eventsMaxLength, fingerprint, uri])) === 1;
  }

  /**
   * ready → done, with the reason, for a landing whose file was rewritten before it was batched
   * (landing-door.ts): there is nothing left of it to run, and the new version is a landing of
   * its own. Without it the landing would stay ready, re-checked at every rescan.
   */
  supersede(fingerprints: readonly string[]): Promise<string[]> {
    return this.move(fingerprints, 'done', 'superseded: its file was rewritten before it was batched; the new version is a landing of its own', ['ready']);
  }

  /** → quarantined with a reason (a corrupt or schema-mismatched file); never from done. */
  quarantine(fingerprints: readonly string[], reason: string): Promise<string[]> {
    return this.move(fingerprints, 'quarantined', reason, ['seen', 'ready', 'batched']);
  }

  /**
   * batched → ready, so the good files of a failed batch are batched again without the bad
   * one; announced on the `released` channel, which the watch role hears in any process.
   */
  release(fingerprints: readonly string[]): Promise<string[]> {
    return this.move(fingerprints, 'ready', '', ['batched']);
  }

  /**
   * quarantined → ready, recording who re-admitted it and when; announced on the `released`
   * channel like a release, so the watch role checks and batches it at once. `restored` is
   * the file as it now is where it landed (fs: its new stat and content sample), written on
   * the record and the path index; undefined leaves both alone (the file never moved, or S3).
   * Any other state is left alone and returned, so a second click changes nothing.
   */
  async readmit(fingerprint: string, by: string, restored?: RestoredFile): Promise<ReadmitResult> {
    const record = restored ? await this.get(fingerprint) : undefined;
    const pathJson = restored && record ? JSON.stringify(pathRecordOf({ ...record, ...restored })) : '';
    const fields = restored ? landingFields(restored) : [];
    const [from, changed] = (await this.readmitScript([], [this.keys.base, this.now(), this.eventsMaxLength, fingerprint, by, pathJson, ...fields])) as [LandingState | '', number];
    if (changed === 1) this.moved([fingerprint], 'ready');
    return { from, changed: changed === 1 };
  }

  /**
   * Points the source's path at this landing's version before its file is put back there,
   * so that the source, seeing the file appear, knows it (no new landing). Refused (false)
   * when a newer landing owns the path. Undo with forgetPath().
   */
  async claimPath(source: string, path: string, record: PathRecord): Promise<boolean> {
    return (await this.claimPathScript([], [this.keys.base, this.now(), this.eventsMaxLength, source, path, JSON.stringify(record)])) === 1;
  }

  private async move(fingerprints: readonly string[], target: LandingState, reason: string, from: LandingState[]): Promise<string[]> {
    if (fingerprints.length === 0) return [];
    const moved = (await this.moveScript([], [this.keys.base, this.now(), this.eventsMaxLength, target, reason, from.join(' '), ...fingerprints])) as string[];
    this.moved(moved, target);
    return moved;
  }

  async get(fingerprint: string): Promise<LandingRecord | undefined> {
    return parseRecord(await this.redis.hgetall(this.keys.landing(fingerprint)));
  }

  /** The records of the fingerprints that exist, in the order given. */
  async getMany(fingerprints: readonly string[]): Promise<LandingRecord[]> {
    if (fingerprints.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const fingerprint of fingerprints) pipeline.hgetall(this.keys.landing(fingerprint));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([, hash]) => parseRecord(hash as Record<string, string>)).filter((record): record is LandingRecord => record !== undefined);
  }

  /** Every landing that `filter` selects, page after page. */
  async *each(filter: Omit<LandingFilter, 'cursor' | 'limit'>): AsyncGenerator<LandingRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...filter, limit: 500, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * For GET /v1/landings: newest first; the cursor is opaque (the last index member looked at).
   * A `path` filter has no index of its own (the per-source path hash holds only each path's
   * last version): the page walks the source/state index newest first and keeps the matches,
   * looking at most PATH_SCAN_LIMIT landings per call. A page may then hold fewer than `limit`
   * items, or none, with a nextCursor that goes on from where the walk stopped.
   */
  async list(filter: LandingFilter): Promise<LandingPage> {
    return filter.path === undefined || filter.path === '' ? this.listIndexed(filter) : this.listByPath(filter, filter.path);
  }

  private indexOf(filter: LandingFilter): string {
    return filter.source && filter.state
      ? this.keys.bySourceState(filter.source, filter.state)
      : filter.source
        ? this.keys.bySource(filter.source)
        : filter.state
          ? this.keys.byState(filter.state)
          : this.keys.all;
  }

  private async listByPath(filter: LandingFilter, path: string): Promise<LandingPage> {
    const index = this.indexOf(filter);
    const items: LandingRecord[] = [];
    let after = filter.cursor;
    let scanned = 0;
    while (scanned < PATH_SCAN_LIMIT) {
      const chunk = Math.min(PATH_SCAN_CHUNK, PATH_SCAN_LIMIT - scanned);
      const members = await this.redis.zrevrangebylex(index, after ? `(${after}` : '+', '-', 'LIMIT', 0, chunk);
      const records = await this.getMany(members.map(fingerprintOf));
      const byFingerprint = new Map(records.map((record) => [record.fingerprint, record]));
      for (const member of members) {
        after = member;
        scanned += 1;
        const record = byFingerprint.get(fingerprintOf(member));
        if (record?.path.includes(path)) items.push(record);
        if (items.length === filter.limit) return { items, nextCursor: member };
      }
      if (members.length < chunk) return { items };
    }
    return after ? { items, nextCursor: after } : { items };
  }

  private async listIndexed(filter: LandingFilter): Promise<LandingPage> {
    const members = await this.redis.zrevrangebylex(this.indexOf(filter), filter.cursor ? `(${filter.cursor}` : '+', '-', 'LIMIT', 0, filter.limit);
    const items = await this.getMany(members.map(fingerprintOf));
    const last = members.at(-1);
    return members.length === filter.limit && last ? { items, nextCursor: last } : { items };
  }

  async countByState(source?: string): Promise<Record<LandingState, number>> {
    const counts = await Promise.all(
      LANDING_STATES.map((state) => this.redis.zcard(source ? this.keys.bySourceState(source, state) : this.keys.byState(state))),
    );
    return Object.fromEntries(LANDING_STATES.map((state, i) => [state, counts[i]!])) as Record<LandingState, number>;
  }

  /** Every path the ledger knows for the source, with its last version, for reconciling a full listing. */
  async knownPaths(source: string): Promise<Map<string, PathRecord>> {
    const known = new Map<string, PathRecord>();
    for await (const [path, record] of this.pathRecords(source)) known.set(path, record);
    return known;
  }

  /**
   * The same, one path at a time (an HSCAN page of about 1,000 in memory at once), for a
   * caller that keeps the records in a form of its own (the fs source's compact table).
   * HSCAN may return a path twice; the later record is as good as the first.
   */
  async *pathRecords(source: string): AsyncGenerator<[path: string, record: PathRecord]> {
    for await (const [path, json] of this.hashEntries(this.keys.paths(source))) yield [path, JSON.parse(json) as PathRecord];
  }

  /** A hash's fields and values, an HSCAN page at a time (a field may come twice). */
  private async *hashEntries(key: string): AsyncGenerator<[field: string, value: string]> {
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.hscan(key, cursor, 'COUNT', 1_000);
      for (let i = 0; i + 1 < entries.length; i += 2) yield [entries[i]!, entries[i + 1]!];
      cursor = next;
    } while (cursor !== '0');
  }

  async pathRecord(source: string, path: string): Promise<PathRecord | undefined> {
    const raw = await this.redis.hget(this.keys.paths(source), path);
    return raw === null ? undefined : (JSON.parse(raw) as PathRecord);
  }

  /** A touch: the path's last version gets the new mtime, still belonging to the same landing. */
  async updatePath(source: string, path: string, record: PathRecord): Promise<boolean> {
    return (await this.setPathScript([], [this.keys.base, this.now(), this.eventsMaxLength, source, path, record.fingerprint, JSON.stringify(record)])) === 1;
  }

  /**
   * The path is gone from the source (deleted, archived): a file that appears there later
   * is compared with nothing. The landing records stay, for the listing.
   */
  async forgetPath(source: string, path: string, fingerprint: string): Promise<boolean> {
    return (await this.setPathScript([], [this.keys.base, this.now(), this.eventsMaxLength, source, path, fingerprint, ''])) === 1;
  }

  /**
   * Up to `limit` batches of `pipeline` (of any, when absent) claimed at least `olderThanMs`
   * ago that hold no job yet (the claimer died, or submit failed), oldest first. The open set
   * is shared by every pipeline, so it is read past other pipelines' batches, a page at a
   * time: batches that can never be submitted (their pipeline removed from the configuration)
   * must not hide another pipeline's behind them. At most OPEN_BATCHES_READ are looked at a call.
   */
  async openBatches(olderThanMs: number, limit = 100, pipeline?: string): Promise<OpenBatch[]> {
    const batches: OpenBatch[] = [];
    let offset = 0;
    for (let read = 0; batches.length < limit && read < OPEN_BATCHES_READ; read += OPEN_BATCHES_PAGE) {
      const ids = await this.redis.zrangebyscore(this.keys.openBatches, '-inf', this.now() - olderThanMs, 'LIMIT', offset, OPEN_BATCHES_PAGE);
      for (const batchId of ids) {
        const hash = await this.redis.hgetall(this.keys.batch(batchId));
        if (!hash.fingerprints) {
          await this.redis.zrem(this.keys.openBatches, batchId);
          continue;
        }
        offset += 1;
        if (pipeline !== undefined && hash.pipeline !== pipeline) continue;
        batches.push({ batchId, pipeline: hash.pipeline ?? '', createdAt: iso(hash.createdAt)!, fingerprints: hash.fingerprints.split(' ') });
        if (batches.length === limit) break;
      }
      if (ids.length < OPEN_BATCHES_PAGE) break;
    }
    return batches;
  }

  /** The landings still batched under the batch (a released or quarantined one has left it). */
  async batchLandings(batch: OpenBatch): Promise<LandingRecord[]> {
    return (await this.getMany(batch.fingerprints)).filter((record) => record.state === 'batched' && record.batchId === batch.batchId);
  }

  /** Drops an open batch whose landings have all left it. */
  async dropBatch(batchId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.openBatches, batchId).del(this.keys.batch(batchId)).exec();
  }
}
