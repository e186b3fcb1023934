// One Sluice under test: a real redis-server, temporary landing/lake/runs folders, an admin
// API key, and a config built the way `sluice serve` builds it (from environment settings).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatApiKeyEntry, newApiKey } from '../../broker/api/api-keys.ts';
import { loadConfig, type Config } from '../../broker/config.ts';
import { RedisServer } from './redis-server.ts';

export type SluiceEnv = {
  dir: string;
  landing: string;
  lakeDir: string;
  runsDir: string;
  redis: RedisServer;
  apiKey: string;
  /** The environment a `sluice` process would get. */
  env: Record<string, string>;
  config(extra?: Record<string, string>): Config;
  close(): Promise<void>;
};

export async function createSluiceEnv(settings: Record<string, string> = {}): Promise<SluiceEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  const landing = join(dir, 'landing');
  const lakeDir = join(dir, 'lake');
  const runsDir = join(dir, 'runs');
  await Promise.all([landing, lakeDir, runsDir].map((d) => mkdir(d, { recursive: true })));
  const redis = await RedisServer.start({ dir: join(dir, 'redis') });
  const apiKey = newApiKey();
  const env: Record<string, string> = {
    SLUICE_REDIS_URL: redis.url,
    SLUICE_QUEUE_PREFIX: 'sluice',
    SLUICE_PIPELINES_DIR: 'examples/pipelines',
    SLUICE_LAKE_URI: pathToFileURL(lakeDir).href,
    SLUICE_LANDING_ROOTS: landing,
    SLUICE_RUNS_DIR: runsDir,
    SLUICE_API_PORT: '0',
    // Workers and watchers serve /metrics; any free port, so that test files run side by side.
    SLUICE_METRICS_PORT: '0',
    SLUICE_API_KEYS: formatApiKeyEntry('test', ['admin'], apiKey),
    SLUICE_AWAIT_POLL: '1s',
    // Quiet by default so test output stays readable; SLUICE_TEST_LOG_LEVEL=debug to see it all.
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    ...settings,
  };
  return {
    dir,
    landing,
    lakeDir,
    runsDir,
    redis,
    apiKey,
    env,
    config: (extra = {}) => loadConfig({ ...env, ...extra }),
    async close() {
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A file in the example pipelines' default input folder (meter-readings), for a Sluice without
 * a worker: a submit needs an input to name, and nothing ever reads it.
 */
export async function placeholderReadings(env: SluiceEnv): Promise<void> {
  await mkdir(join(env.landing, 'meter-readings'), { recursive: true });
  await writeFile(join(env.landing, 'meter-readings', 'part-0.parquet'), 'not read: no worker runs here');
}
