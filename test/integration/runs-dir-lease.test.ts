// Two workers that do not share SLUICE_RUNS_DIR must not both run jobs (ADR 0010): the local
// launcher's runs lease in a real Redis lets the first worker's directory in and refuses a
// worker with another directory at start-up, naming both and the setting.
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, OperationalError } from '../../broker/core/errors.ts';
import { RUNS_ID_FILE, RunsDirLease } from '../../broker/launchers/runs-dir-lease.ts';
import { startSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';

let env: SluiceEnv;
let redis: Redis;

beforeAll(async () => {
  // Port 0: two workers in this one process each serve /metrics on a port of their own.
  env = await createSluiceEnv({ SLUICE_METRICS_PORT: '0' });
  redis = new Redis(env.redis.url);
});
afterAll(async () => {
  redis.disconnect();
  await env.close();
});

describe('the local runs lease', () => {
  it('refuses to start a worker whose runs directory is not the one the running worker uses, naming both and SLUICE_RUNS_DIR', async () => {
    const first = await startSluice(env.config(), { api: false, worker: true });
    try {
      // The directory's identity lives in the directory; the lease in Redis holds it, with a TTL.
      const id = (await readFile(join(env.runsDir, RUNS_ID_FILE), 'utf8')).trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await redis.hget('sluice:launchers:local:lease', 'id')).toBe(id);
      expect(await redis.pttl('sluice:launchers:local:lease')).toBeGreaterThan(20_000);

      const otherDir = join(env.dir, 'other-runs');
      const refused = startSluice(env.config({ SLUICE_RUNS_DIR: otherDir }), { api: false, worker: true });
      await expect(refused).rejects.toThrow(ConfigError);
      const message = await refused.catch((error: Error) => error.message);
      expect(message).toContain(`SLUICE_RUNS_DIR=${otherDir}`);
      expect(message).toContain(`${env.runsDir} on host`);
      expect(message).toMatch(/must share one SLUICE_RUNS_DIR/);

      // The same directory by another path (a symlink, a volume mounted elsewhere) is the same directory.
      const alias = join(env.dir, 'runs-alias');
      await symlink(env.runsDir, alias);
      const second = await startSluice(env.config({ SLUICE_RUNS_DIR: alias }), { api: false, worker: true });
      await second.close();
      // An API-only process runs nothing and takes no lease.
      const api = await startSluice(env.config({ SLUICE_RUNS_DIR: otherDir }), { api: true, worker: false });
      await api.close();
    } finally {
      await first.close();
    }
  });

  it('lapses after its last holder stops; a holder that lost it to another directory starts no run', async () => {
    const key = 'lease-test:lapse';
    const dirA = join(env.dir, 'lease-a');
    const dirB = join(env.dir, 'lease-b');
    await Promise.all([mkdir(dirA), mkdir(dirB)]);
    const a = await RunsDirLease.acquire({ redis, key, runsDir: dirA, ttlMs: 1_000, refreshMs: 300 });
    a.check();
    await expect(RunsDirLease.acquire({ redis, key, runsDir: dirB, ttlMs: 1_000 })).rejects.toThrow(ConfigError);
    await a.close();
    await sleep(1_200);
    const b = await RunsDirLease.acquire({ redis, key, runsDir: dirB, ttlMs: 1_000, refreshMs: 300 });
    try {
      // `a` comes back (its timer stopped while it could not reach Redis, say): it sees b's lease at its next renewal.
      await a.refresh();
      expect(() => a.check()).toThrow(OperationalError);
      expect(() => a.check()).toThrow(/lease-b on host .* holds the local launcher's runs lease/);
      b.check();
    } finally {
      await b.close();
    }
  });
});
