import { describe, expect, it } from 'vitest';
import type { LoadOutcome } from '../broker/core/job.ts';
import { observeLoads, type LoadEvent } from './observed-sinks.ts';
import type { SinkRegistry } from './open-sinks.ts';
import { SinkError } from './sink-error.ts';
import type { LoadRequest, Sink } from './sink.ts';

const output = { connection: 'reporting', table: 'dbo.T', keys: ['x'], mode: 'merge' as const, partition_by: [] };
const request = (patch: Partial<LoadRequest> = {}): LoadRequest => ({
  jobId: 'j1',
  runAttempt: 1,
  pipeline: 'p',
  output,
  columns: [],
  rows: async function* () {},
  checksum: 'c',
  timeoutMs: 1_000,
  ...patch,
});
const outcome = (alreadyLoaded: boolean): LoadOutcome => ({
  sink: 'reporting:dbo.T',
  dialect: 'postgres',
  table: 'dbo.T',
  mode: 'merge',
  runAttempt: 1,
  rowsStaged: 42,
  inserted: 42,
  updated: 0,
  deleted: 0,
  durationMs: 5,
  loadedAt: '2026-12-01T00:00:00.000Z',
  alreadyLoaded,
  checksum: 'c',
});

function registryOf(load: Sink['load']): SinkRegistry {
  const sink: Sink = { dialect: 'postgres', load, close: async () => undefined };
  return { get: () => sink, close: async () => undefined };
}

describe('observeLoads', () => {
  it('reports each load with its pipeline, sink, rows, time and result', async () => {
    const events: LoadEvent[] = [];
    let clock = 0;
    let calls = 0;
    const sinks = observeLoads(registryOf(async () => outcome(calls++ > 0)), (event) => events.push(event), () => (clock += 250));
    await sinks.get('reporting').load(request());
    await sinks.get('reporting').load(request({ pipeline: undefined }));
    expect(events).toEqual([
      { pipeline: 'p', sink: 'reporting:dbo.T', result: 'loaded', rows: 42, seconds: 0.25 },
      { pipeline: 'unknown', sink: 'reporting:dbo.T', result: 'already-loaded', rows: 42, seconds: 0.25 },
    ]);
  });

  it('reports a failed load and passes its error on unchanged', async () => {
    const events: LoadEvent[] = [];
    const failure = new SinkError('platform', 'connection refused');
    const sinks = observeLoads(registryOf(() => Promise.reject(failure)), (event) => events.push(event));
    await expect(sinks.get('reporting').load(request())).rejects.toBe(failure);
    expect(events).toEqual([expect.objectContaining({ pipeline: 'p', result: 'failed', rows: 0 })]);
  });

  it('gives the same sink for a connection each time', () => {
    const sinks = observeLoads(registryOf(async () => outcome(false)), () => undefined);
    expect(sinks.get('reporting')).toBe(sinks.get('reporting'));
  });
});
