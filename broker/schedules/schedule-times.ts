// When a schedule ticks, and whether a tick came too late to run: pure arithmetic over the
// cron expression and its time zone, with the very function BullMQ's job schedulers tick with
// (nextTick, their repeatStrategy: broker/queue/schedule-repeat.ts), so that the times shown are
// the times BullMQ will tick.
import { nextTick, nextTicks } from '../core/cron-ticks.ts';
import type { Schedule } from '../core/pipeline.ts';

/** How many upcoming ticks the API shows for a scheduled pipeline. */
export const NEXT_RUNS_SHOWN = 3;

/**
 * With `catchup: none`, a tick that reaches a worker later than this after its time is
 * skipped (so is one whose next tick has already come, for schedules that tick more often).
 */
export const MISSED_TICK_TOLERANCE_MS = 60_000;

type Timetable = Pick<Schedule, 'cron' | 'timezone'>;

/** The next `count` tick times strictly after `after`. */
export function nextRunTimes(timetable: Timetable, after: Date, count = NEXT_RUNS_SHOWN): Date[] {
  return nextTicks(timetable.cron, after.getTime(), timetable.timezone, count).map((at) => new Date(at));
}

/**
 * Whether the tick at `tickMs` was missed, seen at `nowMs`: it is older than the tolerance,
 * or the tick after it is already due (a newer tick stands for it).
 */
export function isMissedTick(timetable: Timetable, tickMs: number, nowMs: number): boolean {
  if (nowMs - tickMs > MISSED_TICK_TOLERANCE_MS) return true;
  const following = nextTick(timetable.cron, tickMs, timetable.timezone);
  return following !== undefined && following <= nowMs;
}
