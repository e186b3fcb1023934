// Concurrency caps on Spark runs: a global cap (SLUICE_MAX_RUNNING) and one per pipeline
// (policy.concurrency). A slot is a job id in two Redis sets, taken at launch and given back
// when the run ends; both sets move together in one script, and taking a slot a job already
// holds succeeds, so a re-delivered step never counts twice. Caps count Spark runs, not
// BullMQ workers: a job awaiting its run holds a slot but no worker. The job steps take and
// give slots inside the job store's write scripts, which run the Lua functions defined here
// (TAKE_SLOT_LUA, RELEASE_SLOT_LUA); this class runs them alone for the rest.
//
// A job that finds no slot joins the waiters, ordered by priority then age; when a slot is
// given back, the release names the most urgent waiters so that the caller wakes them at once
// (they then meet in BullMQ's priority order) rather than on their next timed look.
import type { Redis } from 'ioredis';
import { luaScript, type LuaScript } from './lua-script.ts';
import type { Keys } from './redis-keys.ts';

/**
 * Takes a slot for the job when launches are not paused and both caps allow ('taken'), else
 * records it as waiting ('paused', 'full'). A job that holds its slot already keeps it, paused
 * or not. A Lua function, so that the job store can take it in the same script as the write
 * that records `launching` (job-store.ts).
 */
export const TAKE_SLOT_LUA = `
local function takeSlot(globalKey, pipelineKey, waitersKey, pausedKey, jobId, globalCap, pipelineCap, waiterScore)
  if redis.call('SISMEMBER', globalKey, jobId) == 1 and redis.call('SISMEMBER', pipelineKey, jobId) == 1 then return 'taken' end
  local refusal = false
  if redis.call('EXISTS', pausedKey) == 1 then
    refusal = 'paused'
  elseif redis.call('SCARD', globalKey) >= globalCap or redis.call('SCARD', pipelineKey) >= pipelineCap then
    refusal = 'full'
  end
  if refusal then
    redis.call('ZADD', waitersKey, waiterScore, jobId)
    return refusal
  end
  redis.call('SADD', globalKey, jobId)
  redis.call('SADD', pipelineKey, jobId)
  redis.call('ZREM', waitersKey, jobId)
  return 'taken'
end
`;

/** What a try to take a slot came to: one taken (or held already), none free, or launches paused. */
export type SlotTake = 'taken' | 'full' | 'paused';

// KEYS: global set, pipeline set, waiters, launches-paused flag   ARGV: job id, global cap, pipeline cap, waiter score
// Returns takeSlot's answer (SlotTake).
const ACQUIRE_SCRIPT = `${TAKE_SLOT_LUA}
return takeSlot(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4])
`;

/**
 * Gives a job's slot back (or ends its waiting) and names the most urgent waiters when a slot
 * was freed, else none. A Lua function, so that the job store's write of a job's final step
 * can give the slot back in the same script (job-store.ts).
 */
export const RELEASE_SLOT_LUA = `
local function releaseSlot(globalKey, pipelineKey, waitersKey, jobId, wake)
  redis.call('ZREM', waitersKey, jobId)
  local freed = redis.call('SREM', globalKey, jobId) + redis.call('SREM', pipelineKey, jobId)
  if freed == 0 then return {} end
  return redis.call('ZRANGE', waitersKey, 0, wake - 1)
end
`;

// KEYS: global set, pipeline set, waiters   ARGV: job id, how many waiters to name
// Returns the ids of the most urgent waiters when a slot was given back, else nothing.
const RELEASE_SCRIPT = `${RELEASE_SLOT_LUA}
return releaseSlot(KEYS[1], KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]))
`;

/** Waiters named per freed slot: a few, since the most urgent may be held by its own pipeline's cap. */
export const WAITERS_TO_WAKE = 4;

/** What taking a slot for a job weighs: the caps, and its place among the waiters if it must wait. */
export type SlotTerms = { globalCap: number; pipelineCap: number; waiterScore: number };

type SlotSeeker = { id: string; pipeline: string; priority: number; createdAt: string };

/**
 * What the job steps need of the run slots (RunSlots in Redis; an in-memory fake in unit tests).
 * A slot is taken or given back in the same script as the job's write where it can be
 * (JobRecords.takeSlotAndSet, releaseSlotAndSet).
 */
export interface SlotPort {
  /** Takes a slot for the job, or records it as waiting; 'taken' when it holds one. */
  acquire(job: SlotSeeker, pipelineCap: number): Promise<SlotTake>;
  /** The terms of taking a slot for the job, for the write that takes it (JobRecords.takeSlotAndSet). */
  terms(job: SlotSeeker, pipelineCap: number): SlotTerms;
}

export class RunSlots implements SlotPort {
  private readonly acquireScript: LuaScript;
  private readonly releaseScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly globalCap: number,
  ) {
    this.acquireScript = luaScript(redis, ACQUIRE_SCRIPT);
    this.releaseScript = luaScript(redis, RELEASE_SCRIPT);
  }

  /** Takes a slot for the job, or records it as waiting (priority first, then creation time). */
  async acquire(job: SlotSeeker, pipelineCap: number): Promise<SlotTake> {
    const { globalCap, waiterScore } = this.terms(job, pipelineCap);
    const keys = [this.keys.runningGlobal, this.keys.runningPipeline(job.pipeline), this.keys.slotWaiters, this.keys.launchesPaused];
    return (await this.acquireScript(keys, [job.id, globalCap, pipelineCap, waiterScore])) as SlotTake;
  }

  /** Waiters are ordered by priority, then by creation time. */
  terms(job: SlotSeeker, pipelineCap: number): SlotTerms {
    return { globalCap: this.globalCap, pipelineCap, waiterScore: job.priority * 1e13 + Date.parse(job.createdAt) };
  }

  /** Gives the job's slot back (or stops its waiting); returns the waiters to wake now. */
  async release(jobId: string, pipeline: string): Promise<string[]> {
    const keys = [this.keys.runningGlobal, this.keys.runningPipeline(pipeline), this.keys.slotWaiters];
    return (await this.releaseScript(keys, [jobId, WAITERS_TO_WAKE])) as string[];
  }

  /**
   * Gives back slots held by jobs that no longer run (a worker died between taking a slot and
   * recording it, or a job was cancelled while it held one); without this a leak would lower
   * the cap for good. `leakedBy(id)` names the holder's pipeline when its slot is leaked.
   */
  async pruneHolders(leakedBy: (jobId: string) => Promise<string | undefined>): Promise<string[]> {
    const freed: string[] = [];
    for (const id of await this.redis.smembers(this.keys.runningGlobal)) {
      const pipeline = await leakedBy(id);
      if (pipeline === undefined) continue;
      await this.release(id, pipeline);
      freed.push(id);
    }
    return freed;
  }

  /** Drops waiters that are no longer queued (cancelled before a worker saw them, expired). */
  async pruneWaiters(queuedIds: ReadonlySet<string>): Promise<number> {
    const stale = (await this.redis.zrange(this.keys.slotWaiters, 0, -1)).filter((id) => !queuedIds.has(id));
    return stale.length > 0 ? this.redis.zrem(this.keys.slotWaiters, ...stale) : 0;
  }
}
