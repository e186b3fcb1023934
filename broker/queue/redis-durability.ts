// Sluice promises that an acknowledged request is never lost, which holds only if Redis
// persists every write (AOF) and never evicts keys. Checked at start-up; a Redis that does
// not comply stops Sluice with a message saying what to change.
import type { Redis } from 'ioredis';

export class RedisDurabilityError extends Error {
  override readonly name = 'RedisDurabilityError';
}

export async function checkRedisDurability(redis: Redis): Promise<void> {
  let appendonly: string | undefined;
  let policy: string | undefined;
  try {
    appendonly = ((await redis.config('GET', 'appendonly')) as string[])[1];
    policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
  } catch (error) {
    throw new RedisDurabilityError(
      `cannot read Redis settings with CONFIG GET (${(error as Error).message}); Sluice needs "appendonly yes" and "maxmemory-policy noeviction" and must be able to check them`,
      { cause: error },
    );
  }
  const problems: string[] = [];
  if (appendonly !== 'yes') problems.push(`appendonly is "${appendonly}": set "appendonly yes" (and appendfsync always or everysec) in redis.conf`);
  if (policy !== 'noeviction') problems.push(`maxmemory-policy is "${policy}": set "maxmemory-policy noeviction" so that Redis never drops a job`);
  if (problems.length > 0) {
    throw new RedisDurabilityError(`Redis is not durable enough for Sluice, which refuses to start:\n  ${problems.join('\n  ')}`);
  }
}
