// When a cron expression ticks next, read on the wall clock of a time zone: the one answer
// Sluice uses everywhere it reads cron (a pipeline's schedule when it loads, the next run
// times the API shows, a missed tick, a policy.deadline of HH:MM) and the one BullMQ's job
// schedulers use too (broker/queue/schedule-repeat.ts hands it to BullMQ as its repeatStrategy).
//
// Daylight-saving changes (docs/adr/0019-schedules.md): a tick whose wall-clock time falls in
// the spring gap runs that much later (Zurich's 02:15 and 02:45 on the last Sunday of March at
// 03:15 and 03:45 CEST; Santiago's midnight on the first Sunday of September at 01:00), and a
// time that the autumn change doubles runs once for a daily expression. cron-parser 5 walks
// such a day right when it iterates from before the change, but a parse started inside the
// shifted hour (03:15 CEST, what BullMQ passes after running the 02:15 tick) looks for the
// next 02:45 a day later (and one started in the second pass of a doubled hour finds 02:30
// again). So a time less than a change's size after it is answered by walking from just before
// the change.
import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** How far back a change is looked for: longer than any in the tz database (Troll's 2 h). */
const CHANGE_LOOKBACK_S = 3 * 3_600;

/** A bound on the ticks walked from a change (an hour's change holds at most 3,600 of them). */
const MAX_WALK = 100_000;

/**
 * The first tick of `cron` strictly after `afterMs`, in ms, read in `timeZone` (IANA); undefined
 * when cron-parser's search for it gives up (it bounds its loops). Throws when `cron` is not an
 * expression cron-parser reads.
 */
export function nextTick(cron: string, afterMs: number, timeZone: string): number | undefined {
  const plain = firstAfter(CronExpressionParser.parse(cron, { currentDate: new Date(afterMs), tz: timeZone }), afterMs);
  // Ticks fall on whole seconds: none can come between `afterMs` and the very next second.
  if (plain === undefined || plain <= (Math.floor(afterMs / 1_000) + 1) * 1_000) return plain;
  const change = clockChangeBefore(afterMs, timeZone);
  // What a change moves lies within its size after it: past that, the plain answer is right.
  if (!change || afterMs >= change.atMs + change.sizeMs) return plain;
  return firstAfter(CronExpressionParser.parse(cron, { currentDate: new Date(change.atMs - 1), tz: timeZone }), afterMs) ?? plain;
}

/** The next `count` ticks strictly after `afterMs`, each from the one before (as BullMQ moves on); fewer when the search gives up. */
export function nextTicks(cron: string, afterMs: number, timeZone: string, count: number): number[] {
  const ticks: number[] = [];
  for (let at = afterMs; ticks.length < count; ) {
    const tick = nextTick(cron, at, timeZone);
    if (tick === undefined) break;
    ticks.push(tick);
    at = tick;
  }
  return ticks;
}

/** The first of `ticks` after `afterMs`, within a bounded walk; undefined when cron-parser gives up. */
function firstAfter(ticks: CronExpression, afterMs: number): number | undefined {
  try {
    for (let walked = 0; walked < MAX_WALK; walked += 1) {
      const tick = ticks.next().getTime();
      if (tick > afterMs) return tick;
    }
  } catch {
    // "Invalid expression, loop limit exceeded": no tick found (cron-parser 5 does so around
    // some half-hour clock changes, Lord Howe Island's in April).
  }
  return undefined;
}

/** The change of the clock in (at - lookback, at], forward or back: when, and by how much. */
function clockChangeBefore(atMs: number, timeZone: string): { atMs: number; sizeMs: number } | undefined {
  let after = Math.floor(atMs / 1_000);
  let before = after - CHANGE_LOOKBACK_S;
  const offsetBefore = utcOffsetMs(before, timeZone);
  const offsetAfter = utcOffsetMs(after, timeZone);
  if (offsetAfter === offsetBefore) return undefined;
  // Halve (before, after] down to the second the new offset starts.
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (utcOffsetMs(middle, timeZone) === offsetBefore) before = middle;
    else after = middle;
  }
  return { atMs: after * 1_000, sizeMs: Math.abs(offsetAfter - offsetBefore) };
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The time zone's offset from UTC at the second `atS`, in ms (wall clock minus UTC). */
function utcOffsetMs(atS: number, timeZone: string): number {
  let wallClock = wallClocks.get(timeZone);
  if (!wallClock) {
    wallClock = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallClocks.set(timeZone, wallClock);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of wallClock.formatToParts(atS * 1_000)) part[type] = Number(value);
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!) - atS * 1_000;
}
