// When a schedule ticks, and whether a tick came too late to run: pure arithmetic over the
// cron expression and its time zone, with the same library (cron-parser) that BullMQ's job
// schedulers use, so that the times shown are the times BullMQ will tick.
import cronParser from 'cron-parser';
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
  const ticks = cronParser.parseExpression(timetable.cron, { tz: timetable.timezone, currentDate: after });
  const times: Date[] = [];
  for (let i = 0; i < count && ticks.hasNext(); i += 1) times.push(ticks.next().toDate());
  return times;
}

/**
 * Whether the tick at `tickMs` was missed, seen at `nowMs`: it is older than the tolerance,
 * or the tick after it is already due (a newer tick stands for it).
 */
export function isMissedTick(timetable: Timetable, tickMs: number, nowMs: number): boolean {
  if (nowMs - tickMs > MISSED_TICK_TOLERANCE_MS) return true;
  const [following] = nextRunTimes(timetable, new Date(tickMs), 1);
  return following !== undefined && following.getTime() <= nowMs;
}
