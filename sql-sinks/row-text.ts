// Exact text for row values: PostgreSQL's COPY sends every row as text, and the lake
// reader formats decimals here; SQL Server's driver reads timestamps through asMicros.
// Dates and timestamps are
// computed with integer arithmetic, never through a float or a Date object: that keeps
// the microseconds, and it is several times faster, which matters at a million rows.
import type { RowValue } from './sink.ts';

const DAY_US = 86_400_000_000;
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Days since 1970-01-01 → civil date (Howard Hinnant's days_from_civil inverse). */
function civilText(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yearText = year >= 0 && year <= 9999 ? `${year}`.padStart(4, '0') : `${year}`;
  return `${yearText}-${pad2(month)}-${pad2(day)}`;
}

// Aggregates repeat the same few days over and over: remember them.
const dates = new Map<number, string>();

/** `2025-03-01` from days since 1970-01-01. */
export function dateText(days: number): string {
  let text = dates.get(days);
  if (text === undefined) {
    text = civilText(days);
    if (dates.size > 100_000) dates.clear();
    dates.set(days, text);
  }
  return text;
}

/** `2025-03-01 12:00:00.123456` from microseconds since the epoch (UTC), without a zone suffix. */
export function timestampText(micros: bigint | number): string {
  // Days and the microseconds into the day: in doubles, exact within ±285 years of 1970; a
  // BigInt (the years beyond, as 9999-12-31 23:59:59.999999) is split in BigInt first.
  let days: number;
  let rest: number;
  if (typeof micros === 'bigint') {
    const day = BigInt(DAY_US);
    const whole = micros / day - (micros % day < 0n ? 1n : 0n);
    days = Number(whole);
    rest = Number(micros - whole * day);
  } else {
    days = Math.floor(micros / DAY_US);
    rest = micros - days * DAY_US;
  }
  const hours = Math.floor(rest / 3_600_000_000);
  rest -= hours * 3_600_000_000;
  const minutes = Math.floor(rest / 60_000_000);
  rest -= minutes * 60_000_000;
  const seconds = Math.floor(rest / 1_000_000);
  const fraction = rest - seconds * 1_000_000;
  return `${dateText(days)} ${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${`${fraction}`.padStart(6, '0')}`;
}

export function asMicros(value: RowValue): bigint | number {
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  throw new TypeError(`expected a timestamp in microseconds, got ${typeof value}`);
}

/** A decimal's text from its unscaled integer (digits without the point) and its scale. */
export function scaledText(unscaled: bigint | number, scale: number): string {
  const negative = unscaled < 0;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
