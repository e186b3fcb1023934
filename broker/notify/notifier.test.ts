// Which events become which deliveries. The queue and the deadline set are stood in for by
// recorders here (what they do with Redis is tested in test/integration/alerts.test.ts).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../core/events.ts';
import { pipelineRegistry } from '../pipelines/load-pipelines.ts';
import type { NotificationData } from '../queue/notification-queue.ts';
import { minimalPipeline } from '../../test/harness/minimal-pipeline.ts';
import { Notifier } from './notifier.ts';

const pipeline = (name: string, notify: unknown[], sources: unknown[] = []) => minimalPipeline(name, { sources, notify });

function setup() {
  const sent: NotificationData[] = [];
  const tracked: string[] = [];
  const forgotten: string[] = [];
  const notifier = new Notifier({
    pipelines: pipelineRegistry([
      pipeline('sales', [{ target: 'ops', on: ['failed', 'quarantined'] }, { target: 'team', on: ['succeeded', 'quarantined'] }], [{ kind: 'fs', id: 'shop', path: '/landing/shop' }]),
      pipeline('returns', [{ target: 'ops', on: ['quarantined'] }, { target: 'nowhere', on: ['failed'] }], [{ kind: 'fs', id: 'shop', path: '/landing/shop' }]),
    ]),
    enqueue: async (data) => void sent.push(data),
    configured: new Set(['SLUICE_WEBHOOK_OPS', 'SLUICE_WEBHOOK_TEAM']),
    deadlines: { track: async (jobId) => void tracked.push(jobId), forget: async (jobId) => void forgotten.push(jobId) },
    logger: pino({ enabled: false }),
  });
  return { notifier, sent, tracked, forgotten };
}

const event = (fields: Partial<SluiceEvent> & Pick<SluiceEvent, 'type' | 'state'>): SluiceEvent => ({ id: '1-0', time: '2024-06-01T10:00:00.000Z', ...fields });

describe('Notifier', () => {
  it('sends a job event to the targets whose rule lists its kind, one delivery id per target and event', async () => {
    const { notifier, sent } = setup();
    await notifier.handle([event({ id: '5-0', type: 'job.failed', state: 'failed', pipeline: 'sales', jobId: 'j1' }), event({ id: '6-0', type: 'job.running', state: 'running', pipeline: 'sales', jobId: 'j1' })]);
    expect(sent.map((data) => [data.target, data.delivery, data.alert.type])).toEqual([['ops', 'ops.5-0', 'job.failed']]);
  });

  it('a quarantine at the door (source only) reaches the targets of every pipeline on that source, each target once', async () => {
    const { notifier, sent } = setup();
    await notifier.handle([event({ id: '7-0', type: 'landing.quarantined', state: 'quarantined', landing: { fingerprint: 'fp9', source: 'shop', path: 'a.parquet' } })]);
    expect(sent.map((data) => [data.target, data.alert.pipeline, data.fingerprint])).toEqual([
      // Pipelines in name order: "returns" names ops first.
      ['ops', 'returns', 'fp9'],
      ['team', 'sales', 'fp9'],
    ]);
  });

  it('a target without settings is skipped; created jobs are tracked for deadlines, succeeded and cancelled ones forgotten', async () => {
    const { notifier, sent, tracked, forgotten } = setup();
    await notifier.handle([
      event({ type: 'job.failed', state: 'failed', pipeline: 'returns', jobId: 'j2' }),
      event({ type: 'job.queued', state: 'queued', pipeline: 'sales', jobId: 'j3' }),
      event({ type: 'job.queued', state: 'queued', from: 'failed', pipeline: 'sales', jobId: 'j4' }),
      event({ type: 'job.succeeded', state: 'succeeded', pipeline: 'sales', jobId: 'j3' }),
      event({ type: 'job.cancelled', state: 'cancelled', pipeline: 'sales', jobId: 'j5' }),
    ]);
    expect(sent.map((data) => data.target)).toEqual(['team']);
    expect(tracked).toEqual(['j3']);
    expect(forgotten).toEqual(['j3', 'j5']);
  });
});
