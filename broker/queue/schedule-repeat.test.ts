import { describe, expect, it } from 'vitest';
import { scheduleRepeatStrategy } from './schedule-repeat.ts';

const at = (iso: string) => Date.parse(iso);
const santiago = { pattern: '0 0 * * *', tz: 'America/Santiago' };

describe('scheduleRepeatStrategy', () => {
  it("gives BullMQ nextTick's answer in the scheduler's time zone: Santiago's midnight on 2025-09-07 at 04:00Z", () => {
    expect(scheduleRepeatStrategy(at('2025-09-06T04:00:00Z'), santiago)).toBe(at('2025-09-07T04:00:00Z'));
    expect(scheduleRepeatStrategy(at('2025-03-30T01:15:00Z'), { pattern: '15,45 2 * * *', tz: 'Europe/Zurich' })).toBe(at('2025-03-30T01:45:00Z'));
  });

  it('counts from a later startDate, ends past endDate, and is now with immediately, as BullMQ\'s own strategy', () => {
    expect(scheduleRepeatStrategy(at('2025-01-01T00:00:00Z'), { ...santiago, startDate: at('2025-09-06T12:00:00Z') })).toBe(at('2025-09-07T04:00:00Z'));
    expect(scheduleRepeatStrategy(at('2025-09-06T12:00:00Z'), { ...santiago, startDate: '2025-01-01T00:00:00Z' })).toBe(at('2025-09-07T04:00:00Z'));
    expect(scheduleRepeatStrategy(at('2025-09-06T12:00:00Z'), { ...santiago, endDate: at('2025-09-07T03:59:59Z') })).toBeUndefined();
    expect(scheduleRepeatStrategy(at('2025-09-06T12:00:00Z'), { ...santiago, endDate: at('2025-09-07T04:00:00Z') })).toBe(at('2025-09-07T04:00:00Z'));
    const before = Date.now();
    expect(scheduleRepeatStrategy(at('2030-01-01T00:00:00Z'), { ...santiago, immediately: true })).toBeGreaterThanOrEqual(before);
  });

  it('reads UTC with utc and no tz, and throws for a pattern that is not cron', () => {
    expect(scheduleRepeatStrategy(at('2025-09-06T12:00:00Z'), { pattern: '0 0 * * *', utc: true })).toBe(at('2025-09-07T00:00:00Z'));
    expect(() => scheduleRepeatStrategy(0, { pattern: 'every day', tz: 'UTC' })).toThrow();
  });
});
