import { describe, expect, it } from 'vitest';
import { tickTimeOf } from './schedule-worker.ts';

describe('tickTimeOf', () => {
  it("reads the tick time from the id BullMQ gives a scheduler's tick job", () => {
    expect(tickTimeOf('repeat:nightly-orders:1748736000000')).toBe(1_748_736_000_000);
    expect(() => tickTimeOf('j0hzk3m4pqrstvwxyz')).toThrow(/not the id of a job scheduler's tick/);
  });
});
