// Alerts (docs/adr/0020-alerts.md): the body a webhook target receives and the record kept of
// each delivery attempt (what a pipeline may ask for is in notify-policy.ts). Pure: the
// notifier (broker/notify/) does the I/O.
import { z } from 'zod';
import { FailureClassSchema } from './job.ts';
import type { NotifyKind } from './notify-policy.ts';

/** The `type` of a webhook body: the event stream's type, or `deadline_missed` (raised by the notifier itself). */
export const ALERT_TYPES = ['job.failed', 'job.succeeded', 'landing.quarantined', 'deadline_missed'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const KIND_OF_ALERT_TYPE: Readonly<Record<AlertType, NotifyKind>> = {
  'job.failed': 'failed',
  'job.succeeded': 'succeeded',
  'landing.quarantined': 'quarantined',
  deadline_missed: 'deadline_missed',
};

/** A webhook's body: enough to act on and a link to the full record; nothing internal, never a secret. */
export const AlertSchema = z.object({
  type: z.enum(ALERT_TYPES),
  pipeline: z.string(),
  jobId: z.string().optional(),
  state: z.string().describe("The job's or landing's state when the alert was raised."),
  reason: z.string().optional(),
  failure: z.object({ class: FailureClassSchema, message: z.string() }).optional(),
  landing: z.object({ fingerprint: z.string(), source: z.string(), path: z.string() }).optional(),
  time: z.string().describe('When the change happened (ISO 8601); for deadline_missed, the deadline.'),
  url: z.string().optional().describe("The job's page on the dashboard, when SLUICE_WEBHOOK_LINK_BASE is set."),
});
export type Alert = z.infer<typeof AlertSchema>;

/** One attempt to deliver one alert to one target, as the delivery log keeps it. */
export const DeliveryAttemptSchema = z.object({
  target: z.string(),
  event: z.enum(ALERT_TYPES),
  /** The delivery's id (X-Sluice-Delivery): the same on every attempt of one delivery. */
  delivery: z.string(),
  pipeline: z.string().optional(),
  jobId: z.string().optional(),
  attempt: z.number().int(),
  ok: z.boolean(),
  /** The target's HTTP status, when it answered. */
  status: z.number().int().optional(),
  /** Why the attempt failed: a status, a timeout or a connection error (never the target's URL). */
  error: z.string().optional(),
  at: z.string(),
  /** Present on the last attempt: delivered, or failed for good (no retry follows). */
  final: z.boolean().optional(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;
