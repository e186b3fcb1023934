import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../core/events.ts';
import { alertOfEvent, jobPageUrl } from './alert-body.ts';
import { webhookRequest, webhookSignature } from './webhook-signature.ts';

const SECRET = 'whsec-test-123';

describe('webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of "<timestamp>.<body>" under the secret', () => {
    const body = '{"type":"job.failed","pipeline":"sales"}';
    // Computed with `openssl dgst -sha256 -hmac whsec-test-123` over "1700000000.<body>".
    expect(webhookSignature(SECRET, '1700000000', body)).toBe('sha256=3a660855c44af28a30d9955feffee4ac91fa21d475365b91489ca22dc6e391d0');
  });

  it('a receiver verifies a request with node:crypto over the raw body and the timestamp header', () => {
    const alert = { type: 'job.failed' as const, pipeline: 'sales', jobId: 'j1', state: 'failed', time: '2024-06-01T10:00:00.000Z' };
    const request = webhookRequest(alert, 'ops.1717236000000-0', SECRET, Date.parse('2024-06-01T10:00:05.900Z'));
    expect(request.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Sluice-Event': 'job.failed',
      'X-Sluice-Delivery': 'ops.1717236000000-0',
      'X-Sluice-Timestamp': '1717236005',
    });
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`1717236005.${request.body}`).digest('hex')}`);
    const given = Buffer.from(request.headers['X-Sluice-Signature']!);
    expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
    // Another secret, or a body changed on the way, does not verify.
    expect(webhookRequest(alert, 'ops.1', 'other', 0).headers['X-Sluice-Signature']).not.toBe(webhookRequest(alert, 'ops.1', SECRET, 0).headers['X-Sluice-Signature']);
    expect(JSON.parse(request.body)).toEqual(alert);
  });
});

describe('webhook body', () => {
  const failed: SluiceEvent = {
    id: '1717236000000-0',
    type: 'job.failed',
    time: '2024-06-01T10:00:00.000Z',
    state: 'failed',
    from: 'running',
    pipeline: 'sales',
    jobId: 'j0abc',
    attempt: 2,
    reason: 'spark run failed',
    failure: { class: 'data', message: 'input in/a.parquet: not a Parquet file' },
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  };

  it("carries what happened and a link to the job's page; no stream id, attempt or trace", () => {
    const alert = alertOfEvent(failed, 'job.failed', 'sales', 'https://sluice.example.com/');
    expect(alert).toEqual({
      type: 'job.failed',
      pipeline: 'sales',
      jobId: 'j0abc',
      state: 'failed',
      reason: 'spark run failed',
      failure: { class: 'data', message: 'input in/a.parquet: not a Parquet file' },
      time: '2024-06-01T10:00:00.000Z',
      url: 'https://sluice.example.com/ui/jobs/j0abc',
    });
    expect(jobPageUrl(undefined, 'j0abc')).toBeUndefined();
    expect(alertOfEvent(failed, 'job.failed', 'sales')).not.toHaveProperty('url');
  });

  it('a quarantine names the landing; the signed request holds no secret and no target URL', () => {
    const quarantined: SluiceEvent = {
      id: '1717236000001-0',
      type: 'landing.quarantined',
      time: '2024-06-01T10:00:01.000Z',
      state: 'quarantined',
      landing: { fingerprint: 'fp1', source: 'fs:/landing/sales', path: 'in/bad.parquet' },
      reason: 'not a Parquet file',
    };
    const alert = alertOfEvent(quarantined, 'landing.quarantined', 'sales');
    expect(alert.landing).toEqual({ fingerprint: 'fp1', source: 'fs:/landing/sales', path: 'in/bad.parquet' });
    expect(alert).not.toHaveProperty('jobId');
    const request = webhookRequest(alert, 'ops.1717236000001-0', SECRET, Date.now());
    const everything = request.body + JSON.stringify(request.headers);
    expect(everything).not.toContain(SECRET);
    // The target's URL never reaches the request builder; that it stays out of logs, job data
    // and delivery records is proven end to end in test/integration/alerts.test.ts.
    expect(Object.keys(JSON.parse(request.body)).sort()).toEqual(['landing', 'pipeline', 'reason', 'state', 'time', 'type']);
  });
});
