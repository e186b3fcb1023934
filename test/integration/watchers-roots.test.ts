// A folder source outside SLUICE_LANDING_ROOTS refuses start-up, naming the pipeline, the
// folder and the setting, instead of having every batch refused at submit and retried for
// ever. Checked as written and once symlinks are resolved; through startSluice() and through
// the CLI, which prints the message without a stack trace.
import { spawn } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';

let env: SluiceEnv;
let outside: string;

beforeAll(async () => {
  env = await createSluiceEnv();
  outside = join(env.dir, 'elsewhere');
  await mkdir(outside, { recursive: true });
});
afterAll(async () => {
  await env?.close();
});

describe('an fs source outside the landing roots', () => {
  it('makes startSluice() reject with a ConfigError naming the pipeline, the folder and SLUICE_LANDING_ROOTS', async () => {
    const pipelines = pipelineRegistry([standInPipeline('strays', {}, { sources: [{ kind: 'fs', path: outside }] })]);
    const refused = startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines });
    await expect(refused).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(refused).rejects.toThrow(`pipeline "strays": the fs source folder "${outside}" is outside the landing roots; add it to SLUICE_LANDING_ROOTS (now ${env.landing})`);
  });

  it('is refused when a symlink under a root leads out of it', async () => {
    const link = join(env.landing, 'linked');
    await symlink(outside, link);
    const pipelines = pipelineRegistry([standInPipeline('linked', {}, { sources: [{ kind: 'fs', path: link }] })]);
    await expect(startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines })).rejects.toThrow(
      `pipeline "linked": the fs source folder "${link}" (which leads to "${outside}") is outside the landing roots`,
    );
  });

  it('makes `sluice watch` exit 2 with the message and no stack trace', async () => {
    const pipelinesDir = join(env.dir, 'pipelines');
    await mkdir(pipelinesDir, { recursive: true });
    await writeFile(
      join(pipelinesDir, 'strays.yaml'),
      [
        'name: strays',
        'input: { columns: { x: long } }',
        'transform: { group_by: [x], metrics: [{ name: n, fn: count }] }',
        'outputs: { lake: { table: strays } }',
        `sources: [{ kind: fs, path: "${outside}" }]`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['broker/bin/sluice.js', 'watch'], {
      env: { ...process.env, ...env.env, SLUICE_PIPELINES_DIR: pipelinesDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain(`sluice: pipeline "strays": the fs source folder "${outside}" is outside the landing roots; add it to SLUICE_LANDING_ROOTS`);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
