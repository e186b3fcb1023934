// The body a webhook target receives, built from an event of the stream or from a job whose
// deadline passed. Only the public fields: the event stream's own rule (nothing internal,
// never a secret) holds here too.
import type { Alert, AlertType } from '../core/alerts.ts';
import type { SluiceEvent } from '../core/events.ts';
import type { Job } from '../core/job.ts';

/** The dashboard's page of a job, when the dashboard's public address is known (SLUICE_WEBHOOK_LINK_BASE). */
export function jobPageUrl(linkBase: string | undefined, jobId: string | undefined): string | undefined {
  if (!linkBase || !jobId) return undefined;
  return `${linkBase.replace(/\/+$/, '')}/ui/jobs/${encodeURIComponent(jobId)}`;
}

/** The alert for a job.failed, job.succeeded or landing.quarantined event; `pipeline` names the pipeline it is sent for. */
export function alertOfEvent(event: SluiceEvent, type: Exclude<AlertType, 'deadline_missed'>, pipeline: string, linkBase?: string): Alert {
  const url = jobPageUrl(linkBase, event.jobId);
  return {
    type,
    pipeline,
    ...(event.jobId ? { jobId: event.jobId } : {}),
    state: event.state,
    ...(event.reason ? { reason: event.reason } : {}),
    ...(event.failure ? { failure: event.failure } : {}),
    ...(event.landing ? { landing: { fingerprint: event.landing.fingerprint, source: event.landing.source, path: event.landing.path } } : {}),
    time: event.time,
    ...(url ? { url } : {}),
  };
}

/** The alert for a job still not done when its deadline (ms) passed. */
export function deadlineAlert(job: Job, deadlineMs: number, linkBase?: string): Alert {
  const url = jobPageUrl(linkBase, job.id);
  return {
    type: 'deadline_missed',
    pipeline: job.pipeline,
    jobId: job.id,
    state: job.state,
    reason: `not succeeded by its deadline ${new Date(deadlineMs).toISOString()} (it is ${job.state})`,
    ...(job.state === 'failed' && job.failure ? { failure: { class: job.failure.class, message: job.failure.message } } : {}),
    time: new Date(deadlineMs).toISOString(),
    ...(url ? { url } : {}),
  };
}
