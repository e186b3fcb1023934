// nextTick: the one reading of cron that the pipeline check, the API's next run times, the
// deadlines and BullMQ's job schedulers (their repeatStrategy) share, across daylight-saving
// changes: America/Santiago jumps from 00:00 to 01:00 on 2025-09-07; Europe/Zurich from 02:00 to
// 03:00 on 2025-03-30 and back from 03:00 to 02:00 on 2025-10-26.
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { nextTick, nextTicks } from './cron-ticks.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('nextTick', () => {
  it("runs Santiago's midnight on the day clocks jump at midnight, at 01:00 (04:00Z), not a day later", () => {
    const midnight = '0 0 * * *';
    // The tick before: 2025-09-06 00:00 at UTC-4.
    expect(iso(nextTick(midnight, at('2025-09-06T04:00:00Z'), 'America/Santiago'))).toBe('2025-09-07T04:00:00.000Z');
    expect(iso(nextTick(midnight, at('2025-09-06T20:00:00Z'), 'America/Santiago'))).toBe('2025-09-07T04:00:00.000Z');
    // And on from there, at UTC-3.
    expect(iso(nextTick(midnight, at('2025-09-07T04:00:00Z'), 'America/Santiago'))).toBe('2025-09-08T03:00:00.000Z');
  });

  it("runs both of Zurich's 02:15 and 02:45 on the day 02:00 becomes 03:00, an hour later each, also counted from the first", () => {
    const twice = '15,45 2 * * *';
    expect(iso(nextTick(twice, at('2025-03-29T12:00:00Z'), 'Europe/Zurich'))).toBe('2025-03-30T01:15:00.000Z'); // 03:15 CEST
    // BullMQ counts the next tick from the one it just ran: 02:45 (03:45 CEST) is not lost.
    expect(iso(nextTick(twice, at('2025-03-30T01:15:00Z'), 'Europe/Zurich'))).toBe('2025-03-30T01:45:00.000Z');
    expect(iso(nextTick(twice, at('2025-03-30T01:20:00Z'), 'Europe/Zurich'))).toBe('2025-03-30T01:45:00.000Z');
    expect(iso(nextTick(twice, at('2025-03-30T01:45:00Z'), 'Europe/Zurich'))).toBe('2025-03-31T00:15:00.000Z');
  });

  it('runs a daily tick in the doubled autumn hour once, whenever it is counted from', () => {
    const halfPastTwo = '30 2 * * *';
    expect(iso(nextTick(halfPastTwo, at('2025-10-26T00:00:00Z'), 'Europe/Zurich'))).toBe('2025-10-26T00:30:00.000Z'); // 02:30 CEST
    // 02:10 again (CET): 02:30 has run today.
    expect(iso(nextTick(halfPastTwo, at('2025-10-26T01:10:00Z'), 'Europe/Zurich'))).toBe('2025-10-27T01:30:00.000Z');
  });

  it.each([
    ['0 0 * * *', 'America/Santiago', '2025-09-06T00:00:00Z'],
    ['30 0 * * *', 'America/Santiago', '2025-09-06T00:00:00Z'],
    ['15,45 2 * * *', 'Europe/Zurich', '2025-03-29T00:00:00Z'],
    ['*/20 1-3 * * *', 'Europe/Zurich', '2025-03-29T00:00:00Z'],
    ['15,45 2 * * *', 'Europe/Zurich', '2025-10-25T00:00:00Z'],
    ['0 30 2 * * *', 'Europe/Zurich', '2025-10-25T00:00:00Z'],
  ])('%s in %s: from any time of the changing days, the tick cron-parser walks to from the day before', (cron, timeZone, dayBefore) => {
    const walk = CronExpressionParser.parse(cron, { currentDate: new Date(at(dayBefore)), tz: timeZone });
    const ticks: number[] = [];
    while (ticks.length === 0 || ticks.at(-1)! < at(dayBefore) + 4 * 86_400_000) ticks.push(walk.next().getTime());
    for (let from = at(dayBefore) + 86_400_000; from < at(dayBefore) + 3 * 86_400_000; from += 7 * 60_000 + 1_500) {
      expect(iso(nextTick(cron, from, timeZone)), iso(from)).toBe(iso(ticks.find((tick) => tick > from)));
    }
  });

  it('counts seconds (six fields) and stays cheap right after a change', () => {
    expect(iso(nextTick('* * * * * *', at('2025-03-30T01:00:00.500Z'), 'Europe/Zurich'))).toBe('2025-03-30T01:00:01.000Z');
    expect(nextTicks('*/10 * * * * *', at('2025-03-30T01:30:00Z'), 'Europe/Zurich', 3).map(iso)).toEqual(['2025-03-30T01:30:10.000Z', '2025-03-30T01:30:20.000Z', '2025-03-30T01:30:30.000Z']);
  });

  it('throws for what is not a cron expression', () => {
    expect(() => nextTick('61 * * * *', 0, 'UTC')).toThrow(/61/);
  });
});
