// Streams a committed run's rows in batches for the SQL sinks, with memory bounded by one
// row group: each part file is read by byte ranges, never whole — the footer, then one row
// group's columns at a time, turned into rows a batch at a time. The Spark app writes
// small row groups for this reason (ADR 0009). Values come out exact (the RowValue forms
// of sql-sinks/sink.ts):
// - decimals as strings: hyparquet turns decimals into floats, so their annotation is
//   removed from the schema it sees and the unscaled integers are formatted here;
// - timestamps as bigint microseconds and dates as day numbers, through custom parsers,
//   since a JS Date would drop the microseconds.
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { runKey, type RunManifest } from '../core/manifest.ts';
import type { RowBatch, RowValue } from '../../sql-sinks/sink.ts';
import type { LakeStorage } from './storage.ts';
import { dateText, scaledText, timestampText } from '../../sql-sinks/row-text.ts';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

// Timestamps as microseconds in a double: exact within ±285 years of 1970, and a double in
// an array costs 8 bytes where a BigInt is an object of its own.
const PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => Number(millis) * 1000,
  timestampFromMicroseconds: (micros: bigint) => Number(micros),
  timestampFromNanoseconds: (nanos: bigint) => Number(BigInt(nanos) / 1000n),
  dateFromDays: (days: number) => days,
};

/** int64 values as numbers where exact (nearly always): far less memory than BigInts. */
const compact = (value: unknown): unknown =>
  typeof value === 'bigint' && value >= -MAX_EXACT && value <= MAX_EXACT ? Number(value) : value;

function rangeSource(storage: LakeStorage, key: string, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start, end = byteLength) {
      const bytes = await storage.readRange(key, start, end);
      if (bytes.length !== end - start) throw new Error(`${key}: expected ${end - start} bytes at ${start}, read ${bytes.length}`);
      return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
    },
  };
}

/**
 * The unscaled integer of a decimal as Parquet stores it: int32, int64, or big-endian two's
 * complement bytes. Up to 6 bytes fit a double exactly, which is much faster than BigInt.
 */
function unscaled(raw: unknown): bigint | number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return raw >= -MAX_EXACT && raw <= MAX_EXACT ? Number(raw) : raw;
  const bytes = raw as Uint8Array;
  const negative = bytes.length > 0 && (bytes[0]! & 0x80) !== 0;
  if (bytes.length <= 6) {
    let value = 0;
    for (const byte of bytes) value = value * 256 + byte;
    return negative ? value - 2 ** (bytes.length * 8) : value;
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return negative ? value - (1n << BigInt(bytes.length * 8)) : value;
}

const decimalText = (raw: unknown, scale: number): string => scaledText(unscaled(raw), scale);

/** The metadata with decimal annotations removed, and each decimal column's scale by top-level name. */
function withRawDecimals(metadata: FileMetaData): { metadata: FileMetaData; scales: Map<string, number> } {
  const scales = new Map<string, number>();
  const schema = metadata.schema.map((element: SchemaElement) => {
    const decimal = element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
    if (!decimal) return element;
    scales.set(element.name, element.scale ?? 0);
    const { converted_type: _converted, logical_type: _logical, ...plain } = element;
    return plain as SchemaElement;
  });
  return { metadata: { ...metadata, schema }, scales };
}

/** Yields the run's rows, `batchRows` at a time, each row in the manifest's column order. */
export async function* readRunBatches(storage: LakeStorage, manifest: RunManifest, batchRows = 10_000): AsyncGenerator<RowBatch> {
  const folder = runKey(manifest.table, manifest.job_id, manifest.attempt);
  const names = manifest.schema.map((column) => column.name);
  for (const part of manifest.files) {
    const file = rangeSource(storage, `${folder}/${part.name}`, part.bytes);
    const { metadata, scales } = withRawDecimals(await parquetMetadataAsync(file));
    const scaleAt = names.map((name) => scales.get(name));
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const groupRows = Number(group.num_rows);
      const columns = names.map(() => new Array<unknown>(groupRows));
      await parquetRead({
        file,
        metadata,
        columns: names,
        rowStart: groupStart,
        rowEnd: groupStart + groupRows,
        utf8: false, // only columns annotated as strings become strings; binary stays bytes
        parsers: PARSERS,
        onChunk: ({ columnName, columnData, rowStart }) => {
          const target = columns[names.indexOf(columnName)]!;
          const offset = rowStart - groupStart;
          for (let i = 0; i < columnData.length; i++) target[offset + i] = compact(columnData[i]);
        },
      });
      for (let start = 0; start < groupRows; start += batchRows) {
        const end = Math.min(groupRows, start + batchRows);
        const batch: RowBatch = new Array(end - start);
        for (let r = start; r < end; r++) {
          const row = new Array<RowValue>(names.length);
          for (let c = 0; c < names.length; c++) {
            const value = columns[c]![r] as RowValue | undefined;
            const scale = scaleAt[c];
            row[c] = value === undefined || value === null ? null : scale === undefined ? value : decimalText(value, scale);
          }
          batch[r - start] = row;
        }
        yield batch;
      }
      groupStart += groupRows;
    }
  }
}

/**
 * The first `limit` rows of a committed run as objects, for people to read (the demo): dates
 * and timestamps as text, other values as readRunBatches gives them.
 */
export async function readRunRows(storage: LakeStorage, manifest: RunManifest, limit: number): Promise<Record<string, unknown>[]> {
  const shown = manifest.schema.map((column): ((value: RowValue) => unknown) => {
    if (column.type === 'date') return (value) => dateText(Number(value));
    if (column.type.startsWith('timestamp')) return (value) => timestampText(value as number | bigint);
    return (value) => value;
  });
  const rows: Record<string, unknown>[] = [];
  for await (const batch of readRunBatches(storage, manifest, limit)) {
    for (const row of batch) {
      if (rows.length >= limit) return rows;
      rows.push(Object.fromEntries(manifest.schema.map((column, c) => [column.name, row[c] === null ? null : shown[c]!(row[c]!)])));
    }
  }
  return rows;
}
