// A real Redis for one test file: started in a temporary folder before the file's tests, with
// a client on it; stopped, and the folder removed, after them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from './redis-server.ts';

export type RedisForTests = { dir: string; server: RedisServer; redis: Redis };

/** Registers the file's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function redisForTests(label: string): RedisForTests {
  const fixture = {} as RedisForTests;
  beforeAll(async () => {
    fixture.dir = await mkdtemp(join(tmpdir(), `sluice-${label}-`));
    fixture.server = await RedisServer.start({ dir: join(fixture.dir, 'redis') });
    fixture.redis = new Redis(fixture.server.url);
  });
  afterAll(async () => {
    fixture.redis?.disconnect();
    await fixture.server?.stop();
    if (fixture.dir) await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
