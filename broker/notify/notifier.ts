// Turns events into deliveries (docs/adr/0020-alerts.md): for each job.failed, job.succeeded
// and landing.quarantined event whose pipeline has a rule asking for it, one delivery per
// target, with an id made of the target and the event's id, so that an event handled twice
// is delivered once. It also keeps the deadlines of jobs as they are created and finish.
import type { Logger } from 'pino';
import { KIND_OF_ALERT_TYPE, type Alert, type AlertType } from '../core/alerts.ts';
import type { SluiceEvent } from '../core/events.ts';
import type { Job } from '../core/job.ts';
import type { Pipeline } from '../core/pipeline.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { deliveryId, type NotificationData } from '../queue/notification-queue.ts';
import { alertOfEvent, deadlineAlert } from './alert-body.ts';
import type { DeadlineWatch } from './deadline-watch.ts';
import { pipelinesOfSource, targetsFor, webhookSetting } from './webhook-targets.ts';

export type NotifierDeps = {
  pipelines: PipelineRegistry;
  /** Adds one delivery (idempotent by its id). */
  enqueue(data: NotificationData): Promise<void>;
  /** The setting stems configured in this process (config.webhooks' keys). */
  configured: ReadonlySet<string>;
  deadlines: Pick<DeadlineWatch, 'track' | 'forget'>;
  linkBase?: string | undefined;
  logger: Logger;
};

type EventAlertType = Exclude<AlertType, 'deadline_missed'>;

export class Notifier {
  constructor(private readonly deps: NotifierDeps) {}

  /** Handles a batch of events read from the stream (EventConsumer's handler). */
  async handle(events: SluiceEvent[]): Promise<void> {
    for (const event of events) await this.handleOne(event);
  }

  private async handleOne(event: SluiceEvent): Promise<void> {
    const { deadlines, pipelines } = this.deps;
    switch (event.type) {
      case 'job.queued':
        // Created (a retry has `from`): its deadline counts from its creation, or from the tick a
        // scheduled job is for (DeadlineWatch reads its labels).
        if (!event.from && event.jobId && event.pipeline) await deadlines.track(event.jobId, event.pipeline, Date.parse(event.time));
        return;
      case 'job.cancelled':
        if (event.jobId) await deadlines.forget(event.jobId);
        return;
      case 'job.succeeded':
        if (event.jobId) await deadlines.forget(event.jobId);
        return this.alert(event, 'job.succeeded', this.pipelinesOf(event));
      case 'job.failed':
        return this.alert(event, 'job.failed', this.pipelinesOf(event));
      case 'landing.quarantined':
        // A quarantine at the door names only the source, which several pipelines may watch.
        return this.alert(event, 'landing.quarantined', event.pipeline ? this.pipelinesOf(event) : pipelinesOfSource(pipelines.list(), event.landing?.source ?? ''));
      default:
        return;
    }
  }

  private pipelinesOf(event: SluiceEvent): Pipeline[] {
    const pipeline = event.pipeline === undefined ? undefined : this.deps.pipelines.get(event.pipeline);
    return pipeline ? [pipeline] : [];
  }

  private async alert(event: SluiceEvent, type: EventAlertType, pipelines: Pipeline[]): Promise<void> {
    // One delivery per target, even when two pipelines watching one source both name it.
    const sent = new Set<string>();
    for (const pipeline of pipelines) {
      for (const target of targetsFor(pipeline, KIND_OF_ALERT_TYPE[type])) {
        if (sent.has(target)) continue;
        sent.add(target);
        const alert = alertOfEvent(event, type, pipeline.name, this.deps.linkBase);
        await this.send(target, event.id, alert, event.jobId ? undefined : event.landing?.fingerprint);
      }
    }
  }

  /** The deadline_missed alert of a job, to the targets its pipeline names for it (DeadlineWatch's `missed`). */
  async deadlineMissed(job: Job, deadlineMs: number): Promise<void> {
    const pipeline = this.deps.pipelines.get(job.pipeline);
    if (!pipeline) return;
    for (const target of targetsFor(pipeline, 'deadline_missed')) {
      await this.send(target, `deadline-${job.id}`, deadlineAlert(job, deadlineMs, this.deps.linkBase));
    }
  }

  private async send(target: string, alertKey: string, alert: Alert, fingerprint?: string): Promise<void> {
    if (!this.deps.configured.has(webhookSetting(target))) {
      // Said once per pipeline at start-up too; here each alert that is dropped is named.
      this.deps.logger.warn({ target, event: alert.type, jobId: alert.jobId, setting: `${webhookSetting(target)}_URL` }, 'webhook target not configured; alert not sent');
      return;
    }
    await this.deps.enqueue({ target, delivery: deliveryId(target, alertKey), alert, ...(fingerprint ? { fingerprint } : {}) });
  }
}
