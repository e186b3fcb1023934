// Everything the HTTP API needs, built by the composition root (broker/sluice.ts) and passed
// in: the API holds no singletons and opens no connections of its own.
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { SluiceMetrics } from '../metrics/metrics.ts';
import type { JobsService } from '../jobs/jobs-service.ts';
import type { LauncherRegistry } from '../launchers/launcher-registry.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import type { LandingLedger } from '../../watchers/landing-ledger.ts';
import type { ReadmitDeps } from '../../watchers/readmit.ts';
import type { EventFeeds } from '../events/sse-response.ts';
import type { DeliveryLog } from '../notify/delivery-log.ts';
import type { SourceHealth } from '../../watchers/source-health.ts';

export type QueueView = { name: string; paused: boolean; counts: Record<string, number> };

export interface QueueAdmin {
  counts(): Promise<QueueView>;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

export type ReadinessCheck = () => Promise<{ ok: boolean; checks: Record<string, string> }>;

export type ApiDeps = {
  jobs: JobsService;
  pipelines: PipelineRegistry;
  queues: QueueAdmin;
  /** Reads Spark driver output for GET /v1/jobs/{id}/logs. */
  launchers: Pick<LauncherRegistry, 'forHandle'>;
  /** Entries "name:scope+scope:sha256-hex" (SLUICE_API_KEYS). */
  apiKeys: readonly string[];
  metrics: SluiceMetrics;
  ready: ReadinessCheck;
  bodyLimitBytes: number;
  logger: Logger;
  /** The landing ledger, for GET /v1/landings and POST /v1/landings/{fingerprint}/readmit. */
  landings: Pick<LandingLedger, 'list'> & ReadmitDeps['ledger'];
  /**
   * Moves landed files (folders and S3), for re-admitting a quarantined landing; without it
   * that route answers 503 (the process was started without access to the landing files).
   */
  landingFiles?: ReadmitDeps['files'];
  /** The event stream, for GET /v1/events and GET /v1/jobs/{id}/events. */
  events: EventFeeds;
  /** Webhook deliveries, for GET /v1/jobs/{id}/notifications and GET /v1/notifications (docs/adr/0020-alerts.md); without it they answer 503. */
  notifications?: Pick<DeliveryLog, 'forJob' | 'recent'>;
  /** The watchers' record of their listings, for GET /v1/watchers; without it every source reads as never listed. */
  watcherHealth?: Pick<SourceHealth, 'all'>;
  /**
   * Aborted when the API starts to close: long answers (a log follow) end then, as the event
   * hub ends its streams, so that the server's close does not wait on them.
   */
  closing?: AbortSignal;
  /** The bull-board UI, built by queue/ (the only importer of bullmq), mounted at /admin/queues. */
  queueBoard?: (basePath: string) => Hono;
};
