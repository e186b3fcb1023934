// Encodes column batches in COPY's binary format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): a header, then per
// row a field count and per field a length (-1 for NULL) and the value in the type's `recv`
// form, then a trailer. Binary rather than text because both ends do less: no number,
// date or timestamp is formatted here or parsed by the server, and values are written
// straight from hyparquet's column arrays into Buffers, with no object per row.
//
// The staging table's column types are the run's own (postgres-types.ts), so each column's
// writer is chosen once from its SqlType. Values are accepted in every RowValue form that
// text COPY accepted (a decimal as text, an integer as bigint, ...) and converted the way
// the server's text input would have; a value the type cannot hold fails naming the column.
import { scaledText } from '../row-text.ts';
import { SinkError } from '../sink-error.ts';
import type { ColumnBatch, ColumnValues } from '../column-batch.ts';
import { exactNumberOf, unscaledOf } from '../column-batch.ts';
import type { SqlColumn, SqlType } from '../sql-types.ts';

/** PostgreSQL's epoch, 2000-01-01, in days and microseconds after 1970-01-01. */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;

export const COPY_BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Appends to Buffers of about `chunkBytes`, handing each full one to `emit`. */
export class ChunkWriter {
  buf: Buffer;
  pos = 0;
  constructor(
    private readonly chunkBytes: number,
    private readonly emit: (chunk: Buffer) => void,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }
  /** Makes room for `bytes` more; may start a new Buffer. */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(bytes, this.chunkBytes));
  }
  flush(): void {
    if (this.pos === 0) return;
    this.emit(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }
  // Byte stores by hand: room() has checked the space, and Buffer's own writers check again
  // and validate the value, which costs more than the store at a few million fields.
  int16(value: number): void {
    const buf = this.buf;
    const at = this.pos;
    buf[at] = value >>> 8;
    buf[at + 1] = value;
    this.pos = at + 2;
  }
  int32(value: number): void {
    const buf = this.buf;
    const at = this.pos;
    buf[at] = value >>> 24;
    buf[at + 1] = value >>> 16;
    buf[at + 2] = value >>> 8;
    buf[at + 3] = value;
    this.pos = at + 4;
  }
  /** An integer held exactly in a double (|value| < 2^53) as int64. */
  int64(value: number): void {
    const high = Math.floor(value / TWO_32);
    this.int32(high | 0);
    this.int32(value - high * TWO_32);
  }
}

type Writer = (out: ChunkWriter, values: ArrayLike<unknown>, index: number) => void;

const RANGES = { 16: [-32_768n, 32_767n], 32: [-2_147_483_648n, 2_147_483_647n], 64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

function badValue(column: SqlColumn, value: unknown, why: string): SinkError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  return new SinkError('data', `column "${column.name}": ${shown} ${why}`);
}

/** Any accepted integer form as a bigint, or an error naming the column. */
function integerOf(column: SqlColumn, value: unknown): bigint {
  try {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    if (typeof value === 'string') return BigInt(value.trim());
    if (typeof value === 'boolean') return value ? 1n : 0n;
  } catch {
    // not an integer's text: reported below
  }
  throw badValue(column, value, 'is not an integer');
}

function integerWriter(column: SqlColumn, bits: 16 | 32 | 64): Writer {
  const [min, max] = RANGES[bits];
  const small = bits === 16 ? 32_767 : 2_147_483_647;
  return (out, values, index) => {
    let value = values[index];
    if (typeof value === 'bigint') value = exactNumberOf(value);
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (bits === 64 ? Math.abs(value) <= Number.MAX_SAFE_INTEGER : value >= -small - 1 && value <= small) {
        out.room(4 + bits / 8);
        out.int32(bits / 8);
        if (bits === 16) out.int16(value);
        else if (bits === 32) out.int32(value);
        else out.int64(value);
        return;
      }
    }
    const integer = integerOf(column, value);
    if (integer < min || integer > max) throw badValue(column, value, `is out of range for a ${bits}-bit integer`);
    out.room(4 + bits / 8);
    out.int32(bits / 8);
    if (bits === 16) out.int16(Number(integer));
    else if (bits === 32) out.int32(Number(integer));
    else {
      out.buf.writeBigInt64BE(integer, out.pos);
      out.pos += 8;
    }
  };
}

/** int64s straight from a BigInt64Array's bytes, reversed into network order: no BigInt made. */
function bigInt64ArrayWriter(values: BigInt64Array): Writer {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return (out, _values, index) => {
    out.room(12);
    out.int32(8);
    const buf = out.buf;
    const at = out.pos;
    const from = index * 8;
    for (let b = 0; b < 8; b++) buf[at + b] = bytes[from + 7 - b]!;
    out.pos += 8;
  };
}

function floatWriter(bits: 32 | 64): Writer {
  return (out, values, index) => {
    const value = values[index];
    // A decimal's text or a bigint becomes the nearest float, as float8in would make it.
    const number = typeof value === 'number' ? value : Number(value);
    out.room(4 + bits / 8);
    out.int32(bits / 8);
    if (bits === 32) out.buf.writeFloatBE(number, out.pos);
    else out.buf.writeDoubleBE(number, out.pos);
    out.pos += bits / 8;
  };
}

const booleanWriter: Writer = (out, values, index) => {
  const value = values[index];
  out.room(5);
  out.int32(1);
  out.buf[out.pos++] = value === true || value === 't' || value === 'true' || (typeof value === 'number' && value !== 0) ? 1 : 0;
};

const dateWriter: Writer = (out, values, index) => {
  out.room(8);
  out.int32(4);
  out.int32(Number(values[index]) - PG_EPOCH_DAYS);
};

const timestampWriter: Writer = (out, values, index) => {
  const value = values[index];
  out.room(12);
  out.int32(8);
  // Shifted to PostgreSQL's epoch in a double only while the result stays exact there too
  // (not before the year 1714).
  if (typeof value === 'number' && Math.abs(value) <= Number.MAX_SAFE_INTEGER && Math.abs(value - PG_EPOCH_US) <= Number.MAX_SAFE_INTEGER) {
    out.int64(value - PG_EPOCH_US);
  } else {
    out.buf.writeBigInt64BE(BigInt(value as bigint | number) - BigInt(PG_EPOCH_US), out.pos);
    out.pos += 8;
  }
};

/** Text as UTF-8; short ASCII strings are copied by hand, which beats a call into Buffer.write. */
const textWriter: Writer = (out, values, index) => {
  const value = values[index];
  if (value instanceof Uint8Array) return bytesOut(out, value);
  const text = typeof value === 'string' ? value : String(value);
  const length = text.length;
  out.room(4 + length * 3);
  const buf = out.buf;
  const start = out.pos + 4;
  if (length <= 64) {
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) break;
      buf[start + i] = code;
    }
    if (i === length) {
      out.int32(length);
      out.pos += length;
      return;
    }
  }
  const written = buf.write(text, start, 'utf8');
  out.int32(written);
  out.pos += written;
};

function bytesOut(out: ChunkWriter, bytes: Uint8Array): void {
  out.room(4 + bytes.length);
  out.int32(bytes.length);
  out.buf.set(bytes, out.pos);
  out.pos += bytes.length;
}

const byteaWriter: Writer = (out, values, index) => {
  const value = values[index];
  bytesOut(out, value instanceof Uint8Array ? value : Buffer.from(String(value), 'utf8'));
};

// numeric's binary form: ndigits, weight, sign, dscale (int16 each), then ndigits base-10000
// digits, most significant first; the value is sum(digit[i] * 10000^(weight - i)).
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

function numericSpecial(out: ChunkWriter, sign: number): void {
  out.room(12);
  out.int32(8);
  out.int16(0);
  out.int16(0);
  out.buf.writeUInt16BE(sign, out.pos);
  out.pos += 2;
  out.int16(0);
}

const groups: number[] = [];

/**
 * An unscaled integer and its scale as numeric. The integer is first multiplied by 10^pad
 * so that its scale is a multiple of 4, then cut into base-10000 digits; the server drops
 * zero digits at either end and rounds to the column's scale (dscale carries ours).
 */
function numericOut(out: ChunkWriter, unscaled: bigint | number, scale: number): void {
  const negative = unscaled < 0;
  const pad = (4 - (scale % 4)) % 4;
  groups.length = 0;
  const magnitude = negative ? -unscaled : unscaled;
  if (typeof magnitude === 'number' && magnitude * 10 ** pad <= Number.MAX_SAFE_INTEGER) {
    let rest = magnitude * 10 ** pad;
    while (rest > 0) {
      const digit = rest % 10_000;
      groups.push(digit);
      rest = (rest - digit) / 10_000;
    }
  } else {
    let rest = BigInt(magnitude) * 10n ** BigInt(pad);
    while (rest > 0n) {
      groups.push(Number(rest % 10_000n));
      rest /= 10_000n;
    }
  }
  const fractionGroups = (scale + pad) / 4;
  const count = groups.length;
  out.room(12 + count * 2);
  out.int32(8 + count * 2);
  out.int16(count);
  out.int16(count === 0 ? 0 : count - fractionGroups - 1);
  out.buf.writeUInt16BE(negative ? NUMERIC_NEG : NUMERIC_POS, out.pos);
  out.pos += 2;
  out.int16(scale);
  for (let g = count - 1; g >= 0; g--) out.int16(groups[g]!);
}

/**
 * The common case of numericTextOut without a regex or a BigInt: "-123.45", at most 15
 * digits (always exact in a double). False when the text is anything else.
 */
function plainDecimalOut(out: ChunkWriter, text: string): boolean {
  const length = text.length;
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const negative = i === 1;
  let digits = 0;
  let count = 0;
  let scale = -1;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      digits = digits * 10 + (code - 48);
      count++;
      if (scale >= 0) scale++;
    } else if (code === 46 /* . */ && scale < 0) {
      scale = 0;
    } else {
      return false;
    }
  }
  if (count === 0 || count > 15) return false;
  numericOut(out, negative ? -digits : digits, Math.max(scale, 0));
  return true;
}

const DECIMAL_TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** A decimal's text ("-12.50", "1e+21", "NaN") as numeric, read as numeric_in would. */
function numericTextOut(out: ChunkWriter, column: SqlColumn, text: string): void {
  const special = text.trim().toLowerCase();
  if (special === 'nan') return numericSpecial(out, NUMERIC_NAN);
  if (special === 'infinity' || special === '+infinity' || special === 'inf') return numericSpecial(out, NUMERIC_PINF);
  if (special === '-infinity' || special === '-inf') return numericSpecial(out, NUMERIC_NINF);
  if (plainDecimalOut(out, text)) return;
  const match = DECIMAL_TEXT.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw badValue(column, text, 'is not a decimal number');
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  let scale = fraction.length - Number(exponent);
  const allDigits = `${whole}${fraction}`;
  if (allDigits.length <= 15 && scale >= 0) {
    // Fifteen digits are always exact in a double.
    const digits = Number(allDigits);
    return numericOut(out, sign === '-' ? -digits : digits, scale);
  }
  let digits = BigInt(allDigits || '0');
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (scale > 0x3fff) throw badValue(column, text, 'has more decimal places than PostgreSQL keeps');
  numericOut(out, sign === '-' ? -digits : digits, scale);
}

function numericWriter(column: SqlColumn): Writer {
  return (out, values, index) => {
    const value = values[index];
    if (typeof value === 'string') return numericTextOut(out, column, value);
    if (typeof value === 'bigint') return numericOut(out, value, 0);
    if (typeof value === 'number') {
      if (Number.isNaN(value)) return numericSpecial(out, NUMERIC_NAN);
      if (!Number.isFinite(value)) return numericSpecial(out, value > 0 ? NUMERIC_PINF : NUMERIC_NINF);
      return Number.isSafeInteger(value) ? numericOut(out, value, 0) : numericTextOut(out, column, String(value));
    }
    if (typeof value === 'boolean') return numericOut(out, value ? 1 : 0, 0);
    throw badValue(column, value, 'is not a decimal number');
  };
}

/** A decimal column (unscaled integers and a scale) written as numeric, or via its text for other types. */
function scaledWriter(column: SqlColumn, scale: number, plain: Writer): Writer {
  const converted: unknown[] = [undefined];
  const kind = column.type.kind;
  // Both exact doubles, so their IEEE quotient is the correctly rounded value of the decimal,
  // what parsing its text would give.
  const divisor = 10 ** scale;
  const divides = scale <= 22;
  return (out, values, index) => {
    const unscaled = unscaledOf(values[index]);
    if (kind === 'decimal') return numericOut(out, unscaled, scale);
    converted[0] = kind === 'float' && divides && typeof unscaled === 'number' ? unscaled / divisor : scaledText(unscaled, scale);
    plain(out, converted, 0);
  };
}

function plainWriter(column: SqlColumn, type: SqlType): Writer {
  switch (type.kind) {
    case 'integer':
      return integerWriter(column, type.bits);
    case 'float':
      return floatWriter(type.bits);
    case 'decimal':
      return numericWriter(column);
    case 'string':
      return textWriter;
    case 'boolean':
      return booleanWriter;
    case 'date':
      return dateWriter;
    case 'timestamptz':
    case 'timestamp':
      return timestampWriter;
    case 'binary':
      return byteaWriter;
  }
}

/** The writer for one column of a batch, chosen from its type and, for speed, its array's kind. */
function columnWriter(column: SqlColumn, data: ColumnValues): Writer {
  const plain = plainWriter(column, column.type);
  if (data.scale !== undefined) return scaledWriter(column, data.scale, plain);
  if (data.values instanceof BigInt64Array && column.type.kind === 'integer' && column.type.bits === 64) return bigInt64ArrayWriter(data.values);
  return plain;
}

/** Writes the batch's rows in COPY binary form (without header or trailer). */
export function writeCopyBinary(out: ChunkWriter, batch: ColumnBatch, columns: readonly SqlColumn[]): void {
  if (batch.columns.length !== columns.length) throw new Error(`a batch of ${batch.columns.length} columns for a table of ${columns.length}`);
  const width = columns.length;
  const writers = columns.map((column, c) => columnWriter(column, batch.columns[c]!));
  const arrays = batch.columns.map((data) => data.values);
  const masks = batch.columns.map((data) => data.nulls);
  const end = batch.offset + batch.rowCount;
  for (let r = batch.offset; r < end; r++) {
    out.room(2);
    out.int16(width);
    for (let c = 0; c < width; c++) {
      const values = arrays[c]!;
      const value = values[r];
      const nulls = masks[c];
      if (value === null || value === undefined || (nulls !== undefined && nulls[r] === 1)) {
        out.room(4);
        out.int32(-1);
      } else {
        writers[c]!(out, values, r);
      }
    }
  }
}
