import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadPipelines } from '../pipelines/load-pipelines.ts';
import { checkScheduledInputs } from './scheduled-inputs.ts';

const pipelineYaml = (name: string, paths: string[], scheduled = true) => `
name: ${name}
input:
  columns: { x: long }
  paths: [${paths.map((path) => JSON.stringify(path)).join(', ')}]
transform:
  group_by: [x]
  metrics: [{ name: n, fn: count }]
outputs:
  lake: { table: ${name.replace(/-/g, '_')} }
${scheduled ? "schedule: { cron: '0 2 * * *' }" : ''}
`;

const roots = { landingRoots: ['/landing'], s3Roots: [{ bucket: 'landing', prefix: 'in/' }] };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-scheduled-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function refusal(): Promise<string> {
  const pipelines = await loadPipelines(dir);
  try {
    checkScheduledInputs(pipelines, roots);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('checkScheduledInputs', () => {
  it('refuses a scheduled pipeline whose input.paths lie outside SLUICE_LANDING_ROOTS, naming the file, the path and the setting', async () => {
    const file = join(dir, 'nightly.yaml');
    await writeFile(file, pipelineYaml('nightly', ['daily/', '/elsewhere/readings']));
    const message = await refusal();
    expect(message).toContain(file);
    expect(message).toContain('input.paths.1: "/elsewhere/readings" is outside the landing roots (SLUICE_LANDING_ROOTS)');
    expect(message).toContain('SLUICE_LANDING_ROOTS is /landing');
  });

  it('refuses an s3:// path no S3 root covers, naming SLUICE_S3_LANDING_ROOTS', async () => {
    const file = join(dir, 's3-nightly.yaml');
    await writeFile(file, pipelineYaml('s3-nightly', ['s3://landing/other/a.parquet']));
    const message = await refusal();
    expect(message).toContain(file);
    expect(message).toContain('input.paths.0: "s3://landing/other/a.parquet"');
    expect(message).toContain('SLUICE_S3_LANDING_ROOTS');
  });

  it('accepts paths under the roots, and leaves unscheduled pipelines to the submit (a caller names inputs)', async () => {
    await writeFile(join(dir, 'inside.yaml'), pipelineYaml('inside', ['daily/', '/landing/x', 's3://landing/in/a.parquet']));
    await writeFile(join(dir, 'unscheduled.yaml'), pipelineYaml('unscheduled', ['/elsewhere/readings'], false));
    const pipelines = await loadPipelines(dir);
    expect(() => checkScheduledInputs(pipelines, roots)).not.toThrow();
  });
});
