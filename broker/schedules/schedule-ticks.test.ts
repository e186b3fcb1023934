import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PipelineSchema } from '../core/pipeline.ts';
import { confineInputs } from '../jobs/input-paths.ts';
import type { JobsService } from '../jobs/jobs-service.ts';
import { pipelineRegistry } from '../pipelines/load-pipelines.ts';
import { ScheduleTicks } from './schedule-ticks.ts';

/** A logger whose lines are kept, parsed. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('ScheduleTicks', () => {
  it("logs a refused tick with the refusal's details: which path, and which setting", async () => {
    const schedule = { cron: '0 2 * * *', timezone: 'UTC', params: {}, catchup: 'latest' as const };
    const pipeline = PipelineSchema.parse({
      name: 'nightly',
      input: { columns: { x: 'long' }, paths: ['/elsewhere/readings'] },
      transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
      outputs: { lake: { table: 'nightly' } },
      schedule,
    });
    // The submit's own refusal (a worker started with other roots than the one that checked).
    const jobs = { submit: async () => confineInputs(pipeline.input.paths, ['/landing']) } as unknown as JobsService;
    const { logger, lines } = recordingLogger();
    const at = Date.parse('2025-06-01T02:00:00Z');
    await new ScheduleTicks({ jobs, pipelines: pipelineRegistry([pipeline]), logger, now: () => at }).handle({ pipeline: 'nightly', schedule, at });
    const refused = lines.find((line) => line.msg === 'schedule tick refused; no job for this tick');
    expect(refused).toMatchObject({
      level: 50,
      pipeline: 'nightly',
      scheduledFor: '2025-06-01T02:00:00.000Z',
      details: [{ path: 'inputs.0', message: '"/elsewhere/readings" is outside the landing roots (SLUICE_LANDING_ROOTS)' }],
    });
  });
});
