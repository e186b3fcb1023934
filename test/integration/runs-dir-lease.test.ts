// Two workers that do not share SLUICE_RUNS_DIR must not both run jobs (ADR 0010): the local
// launcher's runs lease in a real Redis lets the first worker's directory in and refuses a
// worker with another directory at start-up, naming both and the setting.
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, OperationalError } from '../../broker/core/errors.ts';
import { RUNS_ID_FILE, RunsDirLease, processSpace } from '../../broker/launchers/runs-dir-lease.ts';
import { startSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';

const execFileAsync = promisify(execFile);
/** Prints processSpace() as a process in a PID namespace of its own sees it. */
const SPACE_PROBE = "import('./broker/launchers/runs-dir-lease.ts').then((m) => m.processSpace()).then((space) => console.log(space))";

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

  it('refuses a worker of the same directory in another PID namespace (a second pod on a shared volume) once the lease has not lapsed within a TTL, and lets it in when the holder stops', async () => {
    // Two pods: the same boot id, PID namespaces of their own, as processSpace() reads them in and outside `unshare -p`.
    const here = await processSpace();
    const inner = await execFileAsync('unshare', ['-Urpf', '--mount-proc', process.execPath, '--import', 'tsx', '-e', SPACE_PROBE]).then(({ stdout }) => stdout.trim(), () => undefined);
    const otherPod = inner ?? `${here.split('/')[0]}/pid:[1]`;
    expect(otherPod).not.toBe(here);
    expect(otherPod.split('/')[0]).toBe(here.split('/')[0]);

    const key = 'lease-test:pods';
    const dir = join(env.dir, 'lease-shared');
    await mkdir(dir);
    const a = await RunsDirLease.acquire({ redis, key, runsDir: dir, ttlMs: 1_000, refreshMs: 300 });
    try {
      const started = Date.now();
      const refused = RunsDirLease.acquire({ redis, key, runsDir: dir, space: otherPod, ttlMs: 1_000 });
      await expect(refused).rejects.toThrow(ConfigError);
      await expect(refused).rejects.toThrow(/in another pod or on another machine.*follows a run by its pid.*worker\.replicas: 1/);
      // It waited a TTL for a stopped holder's lease to lapse before refusing.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    } finally {
      await a.close();
    }
    // The pod it replaces stopped: the successor waits out the TTL and takes the lease.
    const b = await RunsDirLease.acquire({ redis, key, runsDir: dir, space: otherPod, ttlMs: 1_000, refreshMs: 300 });
    b.check();
    await b.close();
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
