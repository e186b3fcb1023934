// Which environment settings hold a notify target's webhook, and which targets a pipeline's
// rules name for a kind of alert.
import type { Logger } from 'pino';
import type { NotifyKind } from '../core/notify-policy.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { sourceId } from '../core/landing-config.ts';

/** The stem of a target's settings: target `ops-team` is SLUICE_WEBHOOK_OPS_TEAM_URL and _SECRET. */
export const webhookSetting = (target: string): string => `SLUICE_WEBHOOK_${target.toUpperCase().replace(/-/g, '_')}`;

/** The targets whose rule on this pipeline lists `kind`, each once. */
export function targetsFor(pipeline: Pipeline, kind: NotifyKind): string[] {
  return [...new Set(pipeline.notify.filter((rule) => rule.on.includes(kind)).map((rule) => rule.target))];
}

/** The pipelines watching a landing source (a quarantine at the door names only its source). */
export function pipelinesOfSource(pipelines: Pipeline[], source: string): Pipeline[] {
  return pipelines.filter((pipeline) => pipeline.sources.some((candidate) => sourceId(candidate) === source));
}

/** Said at start-up rather than when the first alert is dropped: a rule naming a target this process has no settings for. */
export function warnUnconfiguredTargets(pipelines: Pipeline[], webhooks: Readonly<Record<string, unknown>>, logger: Logger): void {
  for (const pipeline of pipelines) {
    for (const target of new Set(pipeline.notify.map((rule) => rule.target))) {
      const setting = webhookSetting(target);
      if (!webhooks[setting]) logger.warn({ pipeline: pipeline.name, target, setting: `${setting}_URL` }, 'webhook target not configured; its alerts will not be sent');
    }
  }
}
