import { describe, expect, it } from 'vitest';
import { deadlineOf, parseDeadline } from './notify-policy.ts';
import { PipelineSchema } from './pipeline.ts';
import { zodErrorLines } from './errors.ts';

const base = (extra: Record<string, unknown> = {}) => ({
  name: 'nightly',
  input: { columns: { x: 'long' }, paths: ['in/'] },
  transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'nightly' } },
  ...extra,
});

const at = (iso: string) => Date.parse(iso);

describe('policy.deadline', () => {
  it('reads a duration after submit (with a unit) or a 24-hour time of day', () => {
    expect(parseDeadline('30m')).toEqual({ kind: 'after', ms: 1_800_000 });
    expect(parseDeadline('2h')).toEqual({ kind: 'after', ms: 7_200_000 });
    expect(parseDeadline('06:30')).toEqual({ kind: 'at', hour: 6, minute: 30 });
    expect(parseDeadline('00:00')).toEqual({ kind: 'at', hour: 0, minute: 0 });
    for (const wrong of ['5000', '24:00', '6:30', '06:60', 'soon', '0s', '']) expect(parseDeadline(wrong), wrong).toBeUndefined();
  });

  it('a duration counts from submit', () => {
    expect(deadlineOf({ kind: 'after', ms: 1_800_000 }, at('2024-06-01T10:00:00Z'))).toBe(at('2024-06-01T10:30:00Z'));
  });

  it('a time of day is the next one after submit, in UTC without a time zone', () => {
    const deadline = { kind: 'at', hour: 6, minute: 0 } as const;
    expect(deadlineOf(deadline, at('2024-06-01T05:59:00Z'))).toBe(at('2024-06-01T06:00:00Z'));
    expect(deadlineOf(deadline, at('2024-06-01T06:00:00Z'))).toBe(at('2024-06-02T06:00:00Z'));
    expect(deadlineOf(deadline, at('2024-06-01T07:00:00Z'))).toBe(at('2024-06-02T06:00:00Z'));
  });

  it("a time of day is read on the schedule's clock, across midnight and across a change of offset", () => {
    // 23:50 in Zurich (UTC+2 in June) is 21:50Z; 00:30 the next day there is 22:30Z the same UTC day.
    expect(deadlineOf({ kind: 'at', hour: 0, minute: 30 }, at('2024-06-01T21:50:00Z'), 'Europe/Zurich')).toBe(at('2024-06-01T22:30:00Z'));
    // Submitted at 00:40 Zurich time (22:40Z): 00:30 has passed there, so the next is a day later.
    expect(deadlineOf({ kind: 'at', hour: 0, minute: 30 }, at('2024-06-01T22:40:00Z'), 'Europe/Zurich')).toBe(at('2024-06-02T22:30:00Z'));
    // 22:00 in New York on 2024-11-02 (EDT, UTC-4) → 06:00 the next morning is EST (UTC-5): 11:00Z.
    expect(deadlineOf({ kind: 'at', hour: 6, minute: 0 }, at('2024-11-03T02:00:00Z'), 'America/New_York')).toBe(at('2024-11-03T11:00:00Z'));
  });
});

describe('pipeline notify and policy.deadline', () => {
  it('takes rules and a deadline, and defaults to no rules', () => {
    const pipeline = PipelineSchema.parse(base({ notify: [{ target: 'ops', on: ['failed', 'deadline_missed'] }], policy: { deadline: '30m' } }));
    expect(pipeline.notify).toEqual([{ target: 'ops', on: ['failed', 'deadline_missed'] }]);
    expect(pipeline.policy.deadline).toBe('30m');
    expect(PipelineSchema.parse(base()).notify).toEqual([]);
    expect(PipelineSchema.parse(base()).policy.deadline).toBeUndefined();
  });

  it('refuses wrong rules and deadlines with the field path', () => {
    const result = PipelineSchema.safeParse(
      base({
        notify: [{ target: 'ops', on: [] }, { target: 'Ops Team', on: ['failed'] }, { target: 'ops', on: ['exploded'] }, { target: 'ops', on: ['failed'], url: 'https://hooks.example/x' }],
        policy: { deadline: '25:00' },
      }),
    );
    expect(result.success).toBe(false);
    const lines = zodErrorLines(result.error!);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^notify\.0\.on: must list at least one of failed, succeeded, quarantined, deadline_missed/),
        expect.stringMatching(/^notify\.1\.target: must start with a lowercase letter/),
        expect.stringMatching(/^notify\.2\.on\.0: /),
        expect.stringMatching(/^notify\.3\.url: is not a known field/),
        expect.stringMatching(/^policy\.deadline: must be a duration after submit such as 30m or 2h, or a time of day HH:MM/),
      ]),
    );
  });
});

describe('policy.deadline across a clock change', () => {
  it("a time of day that the change skips falls as much later, the same day: Santiago's 00:30 on 2025-09-07 is 01:30 (04:30Z)", () => {
    const halfPastMidnight = { kind: 'at', hour: 0, minute: 30 } as const;
    expect(deadlineOf(halfPastMidnight, at('2025-09-06T20:00:00Z'), 'America/Santiago')).toBe(at('2025-09-07T04:30:00Z'));
    expect(deadlineOf({ kind: 'at', hour: 0, minute: 0 }, at('2025-09-06T20:00:00Z'), 'America/Santiago')).toBe(at('2025-09-07T04:00:00Z'));
  });

  it("Zurich's 02:45 on 2025-03-30 is 03:45 CEST (01:45Z), also for a job submitted at 03:20 CEST", () => {
    const quarterToThree = { kind: 'at', hour: 2, minute: 45 } as const;
    expect(deadlineOf(quarterToThree, at('2025-03-29T12:00:00Z'), 'Europe/Zurich')).toBe(at('2025-03-30T01:45:00Z'));
    expect(deadlineOf(quarterToThree, at('2025-03-30T01:20:00Z'), 'Europe/Zurich')).toBe(at('2025-03-30T01:45:00Z'));
  });
});
