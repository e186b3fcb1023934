// A Lua script sent by its SHA-1 (EVALSHA), so that a busy worker does not ship the script
// text with every call; when Redis does not know it yet (first use, or after a restart that
// emptied the script cache) it is sent once in full.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export type LuaScript = (keys: string[], args: Array<string | number>) => Promise<unknown>;

export function luaScript(redis: Redis, source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
