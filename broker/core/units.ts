// Human units in configuration ("500ms", "2s", "5m", "20GB") parsed to plain numbers, so
// that everything past config load works in milliseconds and bytes.
import { z } from 'zod';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS_BYTES: Record<string, number> = {
  b: 1, kb: 1_000, mb: 1_000_000, gb: 1_000_000_000, tb: 1_000_000_000_000,
  kib: 1_024, mib: 1_048_576, gib: 1_073_741_824, tib: 1_099_511_627_776,
};

/** "500ms", "2s", "5m", "2h", "7d", or a bare number of milliseconds ("5000", as environment settings are written; DurationSchema refuses small ones). */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * DURATION_UNITS_MS[(match[2] ?? 'ms').toLowerCase()]!);
}

/** "512MB", "20GB", "1GiB", or a bare number of bytes ("1000000"). */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS_BYTES[(match[2] ?? 'b').toLowerCase()]!);
}

/** Bytes as a person reads them: "46 MB", "2 GB", "512 B" (powers of 1000, as sizes are written in settings). */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1_000 && unit < units.length - 1) {
    value /= 1_000;
    unit += 1;
  }
  const shown = unit === 0 || value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

/**
 * A number without its unit is milliseconds, but one below this (other than 0) is refused:
 * `SLUICE_RETENTION=7` or `quiet: 30` is nearly always days or seconds with the unit left out,
 * and read as milliseconds it would remove every finished job at once, or take a file still
 * being written. "30ms" says it on purpose. (So a parsed pipeline's 500, from "500ms", parsed
 * again reads as a bare 500: build a pipeline in one parse.)
 */
export const LEAST_BARE_DURATION_MS = 1_000;

/** Whether a duration's text is a number without a unit ("30", " 0.4 "). */
export const isBareNumber = (text: string): boolean => /^\s*\d+(?:\.\d+)?\s*$/.test(text);

/**
 * Milliseconds of a duration setting, or the words that refuse it: not a duration, or a bare
 * number (no unit) above 0 and below LEAST_BARE_DURATION_MS, judged before rounding (a bare
 * "0.4" would otherwise pass as 0).
 */
function durationOrRefusal(value: number | string): number | { refusal: string } {
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined) return { refusal: `"${value}" is not a duration such as 500ms, 2s, 5m, 2h or 7d` };
  const bare = typeof value === 'number' ? value : isBareNumber(value) ? Number(value) : undefined;
  if (bare !== undefined && bare > 0 && bare < LEAST_BARE_DURATION_MS) {
    const number = String(value).trim();
    return {
      refusal: `"${number}" has no unit and would be ${number} milliseconds: write its unit, as in ${number}s, ${number}m or ${number}ms (a bare number is taken as milliseconds only from ${LEAST_BARE_DURATION_MS})`,
    };
  }
  return ms;
}

/** The milliseconds of a duration field's value, or an issue saying why not (ending with `hint`). */
export function durationMs(value: number | string, ctx: z.RefinementCtx, hint = ''): number {
  const ms = durationOrRefusal(value);
  if (typeof ms === 'number') return ms;
  ctx.addIssue({ code: 'custom', message: ms.refusal + hint });
  return z.NEVER;
}

/** What a duration field takes before it is judged: text, or a number of milliseconds. */
export const DurationInputSchema = z.union([z.number().int().nonnegative(), z.string()]);

/** A duration written as "500ms", "2s", "5m", "2h" or "7d" (or a number of milliseconds, 0 or from 1000). */
export const DurationSchema = DurationInputSchema.transform((value, ctx) => durationMs(value, ctx));

/** A size written as "512MB", "20GB", "1GiB" (or a number of bytes). */
export const SizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size such as 512MB or 20GB` });
    return z.NEVER;
  }
  return bytes;
});
