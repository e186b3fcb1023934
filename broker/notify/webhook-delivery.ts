// Sends one attempt of a delivery to its target and records it in the delivery log. A failed
// attempt throws, so that the notifications queue tries again after its backoff; the job the
// alert is about is never touched.
import type { Logger } from 'pino';
import type { WebhookTarget } from '../config.ts';
import type { DeliveryAttempt } from '../core/alerts.ts';
import type { DeliveryHandler } from '../queue/notification-queue.ts';
import type { DeliveryLog } from './delivery-log.ts';
import { postWebhook, WEBHOOK_TIMEOUT_MS, type PostOutcome } from './webhook-post.ts';
import { webhookRequest } from './webhook-signature.ts';
import { webhookSetting } from './webhook-targets.ts';

export class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

export type WebhookDeliveryDeps = {
  /** config.webhooks: setting stem → URL and secret. */
  webhooks: Readonly<Record<string, WebhookTarget>>;
  log: DeliveryLog;
  logger: Logger;
  timeoutMs?: number;
  now?: () => number;
};

export function webhookDelivery(deps: WebhookDeliveryDeps): DeliveryHandler {
  const now = deps.now ?? Date.now;
  return async (data, { attempt, last }) => {
    const setting = webhookSetting(data.target);
    const target = deps.webhooks[setting];
    const outcome: PostOutcome = target
      ? await postWebhook(target.url, webhookRequest(data.alert, data.delivery, target.secret, now()), deps.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
      : { ok: false, error: `target "${data.target}" is not configured in this process: set ${setting}_URL and ${setting}_SECRET` };
    const entry: DeliveryAttempt = {
      target: data.target,
      event: data.alert.type,
      delivery: data.delivery,
      pipeline: data.alert.pipeline,
      ...(data.alert.jobId ? { jobId: data.alert.jobId } : {}),
      attempt,
      ok: outcome.ok,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
      at: new Date(now()).toISOString(),
      ...(outcome.ok || last ? { final: true } : {}),
    };
    const subject = data.alert.jobId ? { jobId: data.alert.jobId } : { fingerprint: data.fingerprint ?? data.delivery };
    await deps.log.record(subject, entry);
    const fields = { target: data.target, delivery: data.delivery, event: data.alert.type, jobId: data.alert.jobId, attempt, status: outcome.status };
    if (outcome.ok) {
      deps.logger.info(fields, 'webhook delivered');
      return;
    }
    if (last) deps.logger.error({ ...fields, err: outcome.error }, 'webhook delivery failed for good');
    else deps.logger.warn({ ...fields, err: outcome.error }, 'webhook attempt failed; will retry');
    throw new DeliveryFailed(outcome.error ?? 'delivery failed');
  };
}
