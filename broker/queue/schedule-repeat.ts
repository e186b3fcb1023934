// How the schedules queue's job schedulers compute their next tick: BullMQ's `repeatStrategy`
// setting, given to the schedules Queue (which adds a scheduler's first tick) and Worker (which
// adds each following one as it takes a tick). BullMQ's default strategy reads cron with its
// own copy of cron-parser 4, which loses ticks around daylight-saving changes (Santiago's
// midnight on the day clocks jump at midnight; Zurich's 02:45 when 02:15 became 03:15); this one
// is nextTick, the function the API's next run times and the deadlines use, so what is shown is
// what runs (docs/adr/0019-schedules.md).
import type { AdvancedRepeatOptions, RepeatOptions } from 'bullmq';
import { nextTick } from '../core/cron-ticks.ts';

/** The process's own time zone, which cron-parser reads a pattern in when no `tz` is given. */
const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * BullMQ calls this with `millis`, the later of now and the tick just taken, and the
 * scheduler's repeat options. As BullMQ's default does: `immediately` is now, a `startDate`
 * after `millis` is counted from instead, and past `endDate` (or when no tick is found) there is
 * none, which ends the scheduler. A pattern that is not cron throws.
 */
export function scheduleRepeatStrategy(millis: number, opts: RepeatOptions): number | undefined {
  if (!opts.pattern) return undefined;
  if (opts.immediately) return Date.now();
  const startMs = opts.startDate === undefined ? undefined : new Date(opts.startDate).getTime();
  const afterMs = startMs !== undefined && startMs > millis ? startMs : millis;
  const tick = nextTick(opts.pattern, afterMs, opts.tz ?? (opts.utc ? 'UTC' : localTimeZone()));
  const endMs = opts.endDate === undefined ? undefined : new Date(opts.endDate).getTime();
  return tick !== undefined && endMs !== undefined && tick > endMs ? undefined : tick;
}

/** The `settings` of the schedules queue's Queue and Worker. */
export const SCHEDULE_SETTINGS: AdvancedRepeatOptions = { repeatStrategy: scheduleRepeatStrategy };
