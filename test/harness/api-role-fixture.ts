// A test file's Sluice serving the API role only, over an environment of its own (Redis,
// folders): started, and started again, with the settings each test gives, and closed after
// each test, so that a test can restart the API as an operator would (new keys, new settings).
import { afterAll, afterEach, beforeAll } from 'vitest';
import { pipelineRegistry, type PipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from './sluice-env.ts';
import { standInPipeline } from './stand-in-app.ts';

export type ApiRoleFixture = {
  readonly env: SluiceEnv;
  readonly pipelines: PipelineRegistry;
  /** The API started last, until the test ends. */
  readonly sluice: RunningSluice;
  /** Starts the API with `settings` over the environment's (stopping the one running); returns its URL. */
  start(settings: Record<string, string>): Promise<string>;
};

export function apiRoleFixture(pipelines: PipelineRegistry = pipelineRegistry([standInPipeline('stand-in')])): ApiRoleFixture {
  let env: SluiceEnv | undefined;
  let sluice: RunningSluice | undefined;
  beforeAll(async () => {
    env = await createSluiceEnv();
  });
  afterEach(async () => {
    await sluice?.close();
    sluice = undefined;
  });
  afterAll(async () => {
    await env?.close();
  });
  return {
    get env() {
      return env!;
    },
    pipelines,
    get sluice() {
      return sluice!;
    },
    async start(settings) {
      await sluice?.close();
      sluice = await startSluice(env!.config(settings), { api: true, worker: false }, { pipelines });
      return `http://127.0.0.1:${sluice.port}`;
    },
  };
}
