// What a pipeline's alerting asks for (docs/adr/0020-alerts.md): the kinds a `notify:` rule may
// list, and when a job's `policy.deadline` falls. Imports nothing of the job or pipeline
// schemas, so that pipeline.ts can use it.
import { nextTick } from './cron-ticks.ts';
import { isBareNumber, parseDuration } from './units.ts';

/** The four things a rule can ask to hear about. */
export const NOTIFY_KINDS = ['failed', 'succeeded', 'quarantined', 'deadline_missed'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

// policy.deadline: "30m" (a duration after submit) or "HH:MM" (the next such time of day).

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

export type Deadline = { kind: 'after'; ms: number } | { kind: 'at'; hour: number; minute: number };

/** The deadline a `policy.deadline` text says, or undefined when it is neither a duration nor HH:MM. */
export function parseDeadline(text: string): Deadline | undefined {
  const time = TIME_OF_DAY.exec(text.trim());
  if (time) return { kind: 'at', hour: Number(time[1]), minute: Number(time[2]) };
  // A bare number would be milliseconds (as environment settings are written): too easy to
  // misread in a pipeline, so a unit is required here.
  if (isBareNumber(text)) return undefined;
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? { kind: 'after', ms } : undefined;
}

export const DEADLINE_HINT = 'must be a duration after submit such as 30m or 2h, or a time of day HH:MM (24-hour)';

/**
 * When a job counted from `fromMs` (its submit, or the tick a scheduled job is for) misses its
 * deadline: the duration after it, or the first HH:MM strictly after it on the wall clock of
 * `timeZone`, read as a schedule's cron is (nextTick): a time that does not exist on a day
 * clocks go forward falls that much later (Santiago's 00:30 on the first Sunday of September at
 * 01:30). Undefined only when cron-parser's search gives up (see cron-ticks.ts).
 */
export function deadlineOf(deadline: Deadline, fromMs: number, timeZone = 'UTC'): number | undefined {
  if (deadline.kind === 'after') return fromMs + deadline.ms;
  return nextTick(`${deadline.minute} ${deadline.hour} * * *`, fromMs, timeZone);
}
