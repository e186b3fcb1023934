import { describe, expect, it } from 'vitest';
import type { Job } from './job.ts';
import { compareStreamIds, eventOfEntry, jobEventFields, matchesFilter, type SluiceEvent } from './events.ts';

const base: Job = {
  id: 'j0000000000000000a',
  pipeline: 'daily-orders',
  state: 'queued',
  attempt: 1,
  maxAttempts: 3,
  priority: 10,
  parameters: {},
  inputs: ['/landing/a.parquet'],
  labels: {},
  idempotencyKey: 'secret-ish-key',
  idempotencyScope: 'airflow',
  cancelRequested: true,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  history: [{ state: 'queued', at: '2025-01-01T00:00:00.000Z', attempt: 1, reason: 'submitted' }],
};

describe('job events', () => {
  it('describe the last transition: type, time, state left, attempt, failure, trace id, and nothing internal', () => {
    const failed: Job = {
      ...base,
      state: 'failed',
      attempt: 2,
      updatedAt: '2025-01-01T00:05:00.000Z',
      failure: { class: 'data', message: 'column amount is a string', stage: 'running', attempt: 2, logTail: 'long driver log' },
      history: [...base.history, { state: 'failed', at: '2025-01-01T00:05:00.000Z', attempt: 2, reason: 'spark exited 65' }],
    };
    const event = eventOfEntry('1735689900000-0', jobEventFields(failed, { ...base, state: 'running' }));
    expect(event).toEqual({
      id: '1735689900000-0',
      type: 'job.failed',
      time: '2025-01-01T00:05:00.000Z',
      state: 'failed',
      from: 'running',
      pipeline: 'daily-orders',
      jobId: base.id,
      attempt: 2,
      reason: 'spark exited 65',
      failure: { class: 'data', message: 'column amount is a string' },
      traceId: base.traceId,
    });
    const text = JSON.stringify(event);
    for (const internal of ['secret-ish-key', 'airflow', 'cancelRequested', 'long driver log', 'inputs']) expect(text).not.toContain(internal);
  });

  it('a created job has no from-state', () => {
    expect(eventOfEntry('1-0', jobEventFields(base))).toMatchObject({ type: 'job.queued', state: 'queued', reason: 'submitted' });
    expect(eventOfEntry('1-0', jobEventFields(base))).not.toHaveProperty('from');
  });

  it('clips a long failure message to a small event', () => {
    const long: Job = { ...base, state: 'failed', failure: { class: 'platform', message: 'x'.repeat(50_000), stage: 'running', attempt: 1 } };
    expect(eventOfEntry('1-0', jobEventFields(long))!.failure!.message.length).toBe(1_000);
  });

  it('skips an entry of an unknown type rather than failing the feed', () => {
    expect(eventOfEntry('1-0', ['type', 'job.exploded', 'time', '1', 'state', 'x'])).toBeUndefined();
  });
});

describe('landing events', () => {
  it('are read from the flat fields the ledger scripts write', () => {
    const fields = ['type', 'landing.quarantined', 'time', '1735689600000', 'state', 'quarantined', 'from', 'batched', 'pipeline', 'sales', 'job', 'j1', 'reason', 'corrupt footer', 'fp', 'fp1', 'source', 'sales/0', 'path', 'a.parquet', 'batch', 'b1'];
    expect(eventOfEntry('1735689600000-3', fields)).toEqual({
      id: '1735689600000-3',
      type: 'landing.quarantined',
      time: '2025-01-01T00:00:00.000Z',
      state: 'quarantined',
      from: 'batched',
      pipeline: 'sales',
      jobId: 'j1',
      reason: 'corrupt footer',
      landing: { fingerprint: 'fp1', source: 'sales/0', path: 'a.parquet', batchId: 'b1' },
    });
  });
});

describe('filters', () => {
  const event = { id: '1-0', type: 'job.succeeded', time: '', state: 'succeeded', pipeline: 'sales', jobId: 'j1' } as SluiceEvent;
  it.each([
    [{}, true],
    [{ pipeline: 'sales' }, true],
    [{ pipeline: 'other' }, false],
    [{ jobId: 'j1' }, true],
    [{ jobId: 'j2' }, false],
    [{ type: 'job.' }, true],
    [{ type: 'landing.' }, false],
    [{ type: 'job.succeeded' }, true],
    [{ type: 'job.succ' }, false],
    [{ type: 'job.failed' }, false],
    [{ pipeline: 'sales', jobId: 'j1', type: 'job.' }, true],
    [{ pipeline: 'sales', jobId: 'j2', type: 'job.' }, false],
  ])('%j → %s', (filter, expected) => {
    expect(matchesFilter(event, filter)).toBe(expected);
  });
});

describe('stream ids', () => {
  it('order by time then sequence, numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-10', '10-2')).toBeGreaterThan(0);
    expect(compareStreamIds('18446744073709551615-0', '18446744073709551614-9')).toBeGreaterThan(0);
    expect(compareStreamIds('5-5', '5-5')).toBe(0);
  });
});

describe('stream ids with leading zeros', () => {
  it('compare as numbers (a client may send 0001-0)', () => {
    expect(compareStreamIds('0001-0', '1-0')).toBe(0);
    expect(compareStreamIds('0-0', '00-1')).toBeLessThan(0);
    expect(compareStreamIds('010-0', '9-99')).toBeGreaterThan(0);
  });
});
