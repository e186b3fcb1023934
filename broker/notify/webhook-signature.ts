// How a webhook request is signed, so that its receiver can tell it came from this Sluice and
// was not replayed much later: X-Sluice-Signature is "sha256=" and the hex HMAC-SHA256, keyed
// with the target's secret, of "<X-Sluice-Timestamp>.<body>" (the timestamp in Unix seconds).
// A receiver recomputes it over the raw body and compares in constant time, and refuses a
// timestamp far from its own clock.
import { createHmac } from 'node:crypto';
import type { Alert } from '../core/alerts.ts';

export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type WebhookRequest = { headers: Record<string, string>; body: string };

/** The request for one attempt of one delivery: `delivery` is the same on every attempt, so receivers can drop repeats. */
export function webhookRequest(alert: Alert, delivery: string, secret: string, nowMs: number): WebhookRequest {
  const body = JSON.stringify(alert);
  const timestamp = String(Math.floor(nowMs / 1_000));
  return {
    body,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'Sluice-Webhook/1',
      'X-Sluice-Event': alert.type,
      'X-Sluice-Delivery': delivery,
      'X-Sluice-Timestamp': timestamp,
      'X-Sluice-Signature': webhookSignature(secret, timestamp, body),
    },
  };
}
