// Next run times and missed ticks, in the schedule's time zone, across Europe/Zurich's
// daylight-saving changes (last Sunday of March and of October).
import { describe, expect, it } from 'vitest';
import { isMissedTick, nextRunTimes } from './schedule-times.ts';

const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

describe('nextRunTimes', () => {
  it('gives the next three ticks after now, in UTC, read in the time zone', () => {
    const zurich = { cron: '0 9 * * *', timezone: 'Europe/Zurich' };
    // 09:00 in Zurich is 08:00Z in winter (CET) and 07:00Z in summer (CEST).
    expect(iso(nextRunTimes(zurich, new Date('2025-03-29T12:00:00Z')))).toEqual(['2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z', '2025-04-01T07:00:00.000Z']);
    expect(iso(nextRunTimes(zurich, new Date('2025-03-28T12:00:00Z'), 2))).toEqual(['2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z']);
  });

  it('runs a tick that falls in the spring gap once, an hour later, and a doubled autumn hour once', () => {
    const halfPastTwo = { cron: '30 2 * * *', timezone: 'Europe/Zurich' };
    // 2025-03-30: clocks go from 02:00 to 03:00; 02:30 does not exist and the tick is at 03:30 CEST.
    expect(iso(nextRunTimes(halfPastTwo, new Date('2025-03-29T12:00:00Z')))).toEqual(['2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z', '2025-04-01T00:30:00.000Z']);
    // 2025-10-26: 02:30 happens twice (CEST, then CET); the schedule ticks at the first only.
    expect(iso(nextRunTimes(halfPastTwo, new Date('2025-10-25T12:00:00Z')))).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z', '2025-10-28T01:30:00.000Z']);
  });

  it("runs Santiago's midnight on the day clocks jump from 00:00 to 01:00, and both of Zurich's 02:15 and 02:45 when 02:00 becomes 03:00", () => {
    const santiago = { cron: '0 0 * * *', timezone: 'America/Santiago' };
    expect(iso(nextRunTimes(santiago, new Date('2025-09-05T12:00:00Z')))).toEqual(['2025-09-06T04:00:00.000Z', '2025-09-07T04:00:00.000Z', '2025-09-08T03:00:00.000Z']);
    const zurich = { cron: '15,45 2 * * *', timezone: 'Europe/Zurich' };
    expect(iso(nextRunTimes(zurich, new Date('2025-03-29T12:00:00Z')))).toEqual(['2025-03-30T01:15:00.000Z', '2025-03-30T01:45:00.000Z', '2025-03-31T00:15:00.000Z']);
  });

  it('reads the cron in UTC when the schedule says UTC', () => {
    expect(iso(nextRunTimes({ cron: '0 2 * * *', timezone: 'UTC' }, new Date('2025-03-29T12:00:00Z'), 1))).toEqual(['2025-03-30T02:00:00.000Z']);
  });
});

describe('isMissedTick', () => {
  const daily = { cron: '0 2 * * *', timezone: 'Europe/Zurich' };
  const tick = Date.parse('2025-06-01T00:00:00Z'); // 02:00 CEST

  it('runs a daily tick that comes within a minute, and skips one that comes later', () => {
    expect(isMissedTick(daily, tick, tick + 59_000)).toBe(false);
    expect(isMissedTick(daily, tick, tick + 61_000)).toBe(true);
  });

  it('skips a tick whose next tick has already come, for schedules that tick more often than the tolerance', () => {
    const everySecond = { cron: '*/1 * * * * *', timezone: 'UTC' };
    expect(isMissedTick(everySecond, tick, tick + 400)).toBe(false);
    expect(isMissedTick(everySecond, tick, tick + 1_000)).toBe(true);
  });
});
