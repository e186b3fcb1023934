// Concurrency caps on Spark runs: a global cap (SLUICE_MAX_RUNNING) and one per pipeline
// (policy.concurrency). A slot is a job id in two Redis sets, taken at launch and given back
// when the run ends; both sets move together in one script, and taking a slot a job already
// holds succeeds, so a re-delivered step never counts twice. Caps count Spark runs, not
// BullMQ workers: a job awaiting its run holds a slot but no worker.
import type { Redis } from 'ioredis';
import { luaScript, type LuaScript } from './lua-script.ts';
import type { Keys } from './redis-keys.ts';

// KEYS: global set, pipeline set   ARGV: job id, global cap, pipeline cap
// Returns 1 when the job holds a slot in both, 0 when a cap is reached.
const ACQUIRE_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

export class RunSlots {
  private readonly acquireScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly globalCap: number,
  ) {
    this.acquireScript = luaScript(redis, ACQUIRE_SCRIPT);
  }

  async acquire(jobId: string, pipeline: string, pipelineCap: number): Promise<boolean> {
    const result = await this.acquireScript([this.keys.runningGlobal, this.keys.runningPipeline(pipeline)], [jobId, this.globalCap, pipelineCap]);
    return result === 1;
  }

  async release(jobId: string, pipeline: string): Promise<void> {
    await this.redis.multi().srem(this.keys.runningGlobal, jobId).srem(this.keys.runningPipeline(pipeline), jobId).exec();
  }

  async holders(): Promise<string[]> {
    return this.redis.smembers(this.keys.runningGlobal);
  }
}
