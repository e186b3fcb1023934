// Streams a committed run's rows in column batches for the SQL sinks, with memory bounded
// by one row group: each part file is read by byte ranges, never whole — the footer, then
// one row group's columns at a time, in slices of `batchRows`, with no object made per row:
// the plain types straight from their pages into typed arrays (flat-column.ts), the others
// as hyparquet assembles them, compacted. The Spark app writes small row groups for this
// reason (ADR 0009). Values come out exact (sql-sinks/column-batch.ts):
// - decimals as their unscaled integers and scale: hyparquet turns decimals into floats,
//   so their annotation is removed from the schema it sees;
// - timestamps as microseconds and dates as day numbers, through custom parsers, since a
//   JS Date would drop the microseconds.
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { runKey, type RunManifest } from '../core/manifest.ts';
import { decimalScaleOf, readFlatColumn, utf8 } from './flat-column.ts';
import { checkCodecs, COMPRESSORS } from './parquet-codecs.ts';
import { exactNumberOf, rowsOf, unscaledOf, type ColumnBatch, type ColumnValues } from '../../sql-sinks/column-batch.ts';
import type { RowValue } from '../../sql-sinks/sink.ts';
import type { LakeStorage } from './storage.ts';
import { dateText, timestampText } from '../../sql-sinks/row-text.ts';

// Timestamps as microseconds in a double where one holds them exactly (within ±285 years of
// 1970: a double in an array costs 8 bytes where a BigInt is an object of its own), and as a
// BigInt beyond, so that 9999-12-31 23:59:59.999999, the usual "no end" mark, keeps its last
// microsecond. Strings keep a leading U+FEFF.
const PARSERS = {
  stringFromBytes: (bytes: Uint8Array | undefined) => bytes && utf8.decode(bytes),
  timestampFromMilliseconds: (millis: bigint) => exactNumberOf(BigInt(millis) * 1000n),
  timestampFromMicroseconds: (micros: bigint) => exactNumberOf(BigInt(micros)),
  timestampFromNanoseconds: (nanos: bigint) => exactNumberOf(BigInt(nanos) / 1000n),
  dateFromDays: (days: number) => days,
};

function rangeSource(storage: LakeStorage, key: string, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start, end = byteLength) {
      const bytes = await storage.readRange(key, start, end);
      if (bytes.length !== end - start) throw new Error(`${key}: expected ${end - start} bytes at ${start}, read ${bytes.length}`);
      // The storage's Buffer usually owns its memory whole (no copy needed); a view into a
      // shared or larger one is copied out, since hyparquet wants an ArrayBuffer of its own.
      if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
      return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
    },
  };
}

/** The metadata with decimal annotations removed, and each decimal column's scale by top-level name. */
function withRawDecimals(metadata: FileMetaData): { metadata: FileMetaData; scales: Map<string, number> } {
  const scales = new Map<string, number>();
  const schema = metadata.schema.map((element: SchemaElement) => {
    const scale = decimalScaleOf(element);
    if (scale === undefined) return element;
    scales.set(element.name, scale);
    const { converted_type: _converted, logical_type: _logical, ...plain } = element;
    return plain as SchemaElement;
  });
  return { metadata: { ...metadata, schema }, scales };
}

type Chunk = { rowStart: number; data: ArrayLike<unknown> };
type TypedArrayMaker = new (length: number) => ArrayLike<unknown> & { set(source: ArrayLike<unknown>, offset: number): void };

/** A column's chunks (one per page, for required columns) as one array of the group's rows. */
function joined(chunks: Chunk[], groupStart: number, groupRows: number): ArrayLike<unknown> {
  if (chunks.length === 1 && chunks[0]!.rowStart === groupStart && chunks[0]!.data.length === groupRows) return chunks[0]!.data;
  const first = chunks[0]?.data;
  const typed = first !== undefined && ArrayBuffer.isView(first) && chunks.every((chunk) => chunk.data.constructor === first.constructor);
  if (typed) {
    const all = new (first.constructor as TypedArrayMaker)(groupRows);
    for (const chunk of chunks) all.set(chunk.data, chunk.rowStart - groupStart);
    return all;
  }
  const all = new Array<unknown>(groupRows);
  for (const chunk of chunks) {
    const offset = chunk.rowStart - groupStart;
    for (let i = 0; i < chunk.data.length; i++) all[offset + i] = chunk.data[i];
  }
  return all;
}

/**
 * A decoded column in a compact form: numbers (and int64s and decimals that fit a double
 * exactly) in a Float64Array with a null mask instead of an array of boxed values, BigInts
 * or byte views. Typed arrays live outside the JS heap, so hyparquet's per-value objects die
 * young instead of being promoted with the group, which keeps the process's peak memory
 * near one group's worth.
 */
function compacted(values: ArrayLike<unknown>, scale: number | undefined): ColumnValues {
  if (ArrayBuffer.isView(values) && scale === undefined) return { values };
  const numbers = new Float64Array(values.length);
  let nulls: Uint8Array | undefined;
  for (let i = 0; i < values.length; i++) {
    let value = values[i];
    if (value === null || value === undefined) {
      nulls ??= new Uint8Array(values.length);
      nulls[i] = 1;
      continue;
    }
    if (scale !== undefined || typeof value === 'bigint') value = unscaledOf(value);
    // Strings, booleans, bytes, or an integer beyond 2^53: kept as they are.
    if (typeof value !== 'number') return scale === undefined ? { values } : { values, scale };
    numbers[i] = value;
  }
  return { values: numbers, ...(nulls ? { nulls } : {}), ...(scale === undefined ? {} : { scale }) };
}

/** Yields the run's rows as column batches of up to `batchRows` rows, columns in the manifest's order. */
export async function* readRunBatches(storage: LakeStorage, manifest: RunManifest, batchRows = 10_000): AsyncGenerator<ColumnBatch> {
  const folder = runKey(manifest.table, manifest.job_id, manifest.attempt);
  const names = manifest.schema.map((column) => column.name);
  for (const part of manifest.files) {
    const key = `${folder}/${part.name}`;
    const file = rangeSource(storage, key, part.bytes);
    const fileMetadata = await parquetMetadataAsync(file);
    checkCodecs(key, fileMetadata);
    const { metadata, scales } = withRawDecimals(fileMetadata);
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const groupRows = Number(group.num_rows);
      const columns: ColumnValues[] = [];
      // One column at a time: straight from its pages where flat-column.ts reads its type,
      // else through hyparquet and compacted as soon as it is decoded (see compacted()).
      for (const name of names) {
        const flat = await readFlatColumn(file, fileMetadata, group, groupRows, name);
        if (flat) {
          columns.push(flat);
          continue;
        }
        const chunks: Chunk[] = [];
        await parquetRead({
          file,
          metadata,
          columns: [name],
          rowStart: groupStart,
          rowEnd: groupStart + groupRows,
          utf8: false, // only columns annotated as strings become strings; binary stays bytes
          parsers: PARSERS,
          compressors: COMPRESSORS,
          onChunk: ({ columnData, rowStart }) => chunks.push({ rowStart, data: columnData }),
        });
        columns.push(compacted(joined(chunks, groupStart, groupRows), scales.get(name)));
      }
      for (let start = 0; start < groupRows; start += batchRows) {
        yield { kind: 'columns', rowCount: Math.min(batchRows, groupRows - start), offset: start, columns };
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
    for (const row of rowsOf(batch)) {
      if (rows.length >= limit) return rows;
      rows.push(Object.fromEntries(manifest.schema.map((column, c) => [column.name, row[c] === null ? null : shown[c]!(row[c]!)])));
    }
  }
  return rows;
}
