import { describe, expect, it } from 'vitest';
import { DurationSchema, SizeSchema, parseDuration, parseSize } from './units.ts';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1.5s', 1_500],
    [' 2 s ', 2_000],
    ['2S', 2_000],
    ['5000', 5_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(DurationSchema.parse(text)).toBe(ms);
  });

  it('takes a bare number as milliseconds: 0, or from 1000', () => {
    expect(DurationSchema.parse(0)).toBe(0);
    expect(DurationSchema.parse('0')).toBe(0);
    expect(DurationSchema.parse(1_000)).toBe(1_000);
    expect(DurationSchema.parse('1500')).toBe(1_500);
  });

  it.each([7, '7', ' 30 ', 999, '1.5', '0.4'])('refuses %j, a small bare number, as a unit left out (days or seconds read as milliseconds)', (value) => {
    const result = DurationSchema.safeParse(value);
    expect(result.success).toBe(false);
    const number = String(value).trim();
    expect(result.error?.issues[0]?.message).toBe(
      `"${number}" has no unit and would be ${number} milliseconds: write its unit, as in ${number}s, ${number}m or ${number}ms (a bare number is taken as milliseconds only from 1000)`,
    );
    // With its unit, the same number is taken.
    expect(DurationSchema.parse(`${number}ms`)).toBe(Math.round(Number(number)));
    expect(DurationSchema.parse(`${number}s`)).toBe(Math.round(Number(number) * 1_000));
  });

  it.each(['soon', '', '5 minutes', '-5s', '5w', '1e3ms', 's'])('refuses %j, quoting it', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    const result = DurationSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(`"${text}"`);
  });

  it('refuses negative and fractional numbers of milliseconds', () => {
    expect(DurationSchema.safeParse(-1).success).toBe(false);
    expect(DurationSchema.safeParse(1.5).success).toBe(false);
  });
});

describe('sizes', () => {
  it.each([
    ['20GB', 20_000_000_000],
    ['512MB', 512_000_000],
    ['1GiB', 1_073_741_824],
    ['4kib', 4_096],
    ['10b', 10],
    ['1000000', 1_000_000],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
    expect(SizeSchema.parse(text)).toBe(bytes);
  });

  it('takes a bare number as bytes', () => {
    expect(SizeSchema.parse(4_096)).toBe(4_096);
  });

  it.each(['big', '20 gigabytes', '20G', '-1GB', ''])('refuses %j, quoting it', (text) => {
    expect(parseSize(text)).toBeUndefined();
    const result = SizeSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(`"${text}"`);
  });
});
