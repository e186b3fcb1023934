// Reads one top-level column of one row group straight into the compact form the sinks take
// (sql-sinks/column-batch.ts): numbers in a Float64Array with a NULL mask, strings in an
// array. hyparquet still does the Parquet work (page headers, decompression, levels, every
// encoding); this file replaces only its last step, assembly, for the plain types Spark
// writes. That step builds a JS array value by value for every nullable column, even for a
// page with no NULL, so each int64 and timestamp became a BigInt object held by that array
// until the group was read: garbage that outlived young collections and set the load's peak
// memory (ADR 0009). Anything else (unsigned and nanosecond types, INT96, booleans, bytes,
// a value beyond 2^53) gets `undefined`, and the caller reads the column through hyparquet.
import type { AsyncBuffer, ColumnChunk, DataReader, DecodedArray, FileMetaData, SchemaElement } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getSchemaPath, isFlatColumn } from 'hyparquet/src/schema.js';
import { unscaledOf, type ColumnValues } from '../../sql-sinks/column-batch.ts';
import { COMPRESSORS } from './parquet-codecs.ts';

/** How a column's stored values become the sinks' numbers or strings. */
type Reading = { kind: 'number'; multiplier: number; scale?: number } | { kind: 'string' };

const TWO_32 = 4_294_967_296;
// A leading U+FEFF is data in a Parquet string, not a byte-order mark to drop.
export const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** A decimal column's scale, or undefined when the column is not a decimal. */
export const decimalScaleOf = (element: SchemaElement): number | undefined =>
  element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL' ? (element.scale ?? 0) : undefined;

/** The reading for a column this file handles, by its physical type and annotations. */
function readingOf(element: SchemaElement): Reading | undefined {
  const converted = element.converted_type;
  const logical = element.logical_type;
  if (element.type === 'BYTE_ARRAY') return converted === 'UTF8' || logical?.type === 'STRING' ? { kind: 'string' } : undefined;
  if (element.type === 'FLOAT' || element.type === 'DOUBLE') return converted || logical ? undefined : { kind: 'number', multiplier: 1 };
  // Decimals as their unscaled integers, also wide ones in fixed-length bytes (Spark's sums).
  const scale = decimalScaleOf(element);
  if (scale !== undefined) return element.type === 'FIXED_LEN_BYTE_ARRAY' || element.type === 'INT32' || element.type === 'INT64' ? { kind: 'number', multiplier: 1, scale } : undefined;
  if (element.type !== 'INT32' && element.type !== 'INT64') return undefined;
  // Dates as day numbers, timestamps as microseconds: what run-batches.ts's parsers make.
  if (converted === 'DATE' || logical?.type === 'DATE') return { kind: 'number', multiplier: 1 };
  if (converted === 'TIMESTAMP_MILLIS' || (logical?.type === 'TIMESTAMP' && logical.unit === 'MILLIS')) return { kind: 'number', multiplier: 1000 };
  if (converted === 'TIMESTAMP_MICROS' || (logical?.type === 'TIMESTAMP' && logical.unit === 'MICROS')) return { kind: 'number', multiplier: 1 };
  const signedInteger = converted === undefined || /^INT_(8|16|32|64)$/.test(converted);
  if (signedInteger && (logical === undefined || (logical.type === 'INTEGER' && logical.isSigned))) return { kind: 'number', multiplier: 1 };
  return undefined;
}

/**
 * Stored numbers as doubles, times `multiplier`, or undefined when one is not exact there.
 * An int64 is read as its two 32-bit halves (little-endian, as every platform Node runs on),
 * so no BigInt is made.
 */
function numbersOf(values: DecodedArray, multiplier: number): Float64Array | undefined {
  const numbers = new Float64Array(values.length);
  if (values instanceof BigInt64Array) {
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const high = words[2 * i + 1]!;
      // -2^53 <= value < 2^53, so that high * 2^32 + low is exact.
      if (high < -0x20_0000 || high >= 0x20_0000) return undefined;
      numbers[i] = (high * TWO_32 + (words[2 * i]! >>> 0)) * multiplier;
    }
  } else if (values.length > 0 && values[0] instanceof Uint8Array) {
    // A page's decimals in bytes: views into the page, made and dropped a page at a time.
    for (let i = 0; i < values.length; i++) {
      const unscaled = unscaledOf(values[i]);
      if (typeof unscaled !== 'number') return undefined;
      numbers[i] = unscaled;
    }
  } else {
    for (let i = 0; i < values.length; i++) numbers[i] = (values[i] as number) * multiplier;
  }
  if (multiplier !== 1) for (const number of numbers) if (Math.abs(number) > Number.MAX_SAFE_INTEGER) return undefined;
  return numbers;
}

const stringsOf = (values: DecodedArray): string[] => Array.from(values as ArrayLike<Uint8Array>, (bytes) => utf8.decode(bytes));

/**
 * A page's present values, dictionary indices resolved, in the reading's form; undefined when
 * one is not exact as a number, or the page names a dictionary the chunk did not have (the
 * caller then leaves the column to hyparquet).
 */
function pageValues(reading: Reading, dataPage: DecodedArray, encoding: string, dictionary: Float64Array | string[] | undefined): Float64Array | string[] | undefined {
  if (!encoding.endsWith('_DICTIONARY')) return reading.kind === 'string' ? stringsOf(dataPage) : numbersOf(dataPage, reading.multiplier);
  if (dictionary === undefined) return undefined;
  const indices = dataPage as ArrayLike<number>;
  if (dictionary instanceof Float64Array) {
    const numbers = new Float64Array(indices.length);
    for (let i = 0; i < indices.length; i++) numbers[i] = dictionary[indices[i]!]!;
    return numbers;
  }
  return Array.from(indices, (index) => dictionary[index]!);
}

/**
 * Column `name` of the row group, or undefined when this reader does not handle it (the
 * caller reads it through hyparquet). `metadata` is the file's own, annotations intact.
 */
export async function readFlatColumn(file: AsyncBuffer, metadata: FileMetaData, group: { columns: ColumnChunk[] }, groupRows: number, name: string): Promise<ColumnValues | undefined> {
  const schemaPath = getSchemaPath(metadata.schema, [name]);
  const element = schemaPath.at(-1)!.element;
  const reading = readingOf(element);
  const chunk = group.columns.find((candidate) => candidate.meta_data?.path_in_schema.length === 1 && candidate.meta_data.path_in_schema[0] === name);
  const meta = chunk?.meta_data;
  // A chunk in another file (file_path) is hyparquet's to refuse.
  if (!reading || !meta || chunk.file_path || !isFlatColumn(schemaPath) || element.repetition_type === 'REPEATED') return undefined;

  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const bytes = new Uint8Array(await file.slice(start, start + Number(meta.total_compressed_size)));
  const reader: DataReader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const decoder = { pathInSchema: [name], type: element.type!, element, schemaPath, codec: meta.codec, compressors: COMPRESSORS, parsers: {} as never, utf8: false };
  const maxDefinition = getMaxDefinitionLevel(schemaPath);

  const values: Float64Array | (string | null)[] = reading.kind === 'number' ? new Float64Array(groupRows) : new Array<string | null>(groupRows).fill(null);
  let nulls: Uint8Array | undefined;
  let dictionary: Float64Array | string[] | undefined;
  let row = 0;
  while (row < groupRows && reader.offset < bytes.length - 1) {
    const header = parquetHeader(reader);
    const pageBytes = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(pageBytes, header.uncompressed_page_size, meta.codec, COMPRESSORS);
      const stored = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, element.type!, header.dictionary_page_header!.num_values, element.type_length);
      dictionary = reading.kind === 'string' ? stringsOf(stored) : numbersOf(stored, reading.multiplier);
      if (dictionary === undefined) return undefined;
      continue;
    }
    let page: { definitionLevels: number[] | undefined; dataPage: DecodedArray };
    let count: number;
    let encoding: string;
    if (header.type === 'DATA_PAGE') {
      const pageHeader = header.data_page_header!;
      page = readDataPage(decompressPage(pageBytes, header.uncompressed_page_size, meta.codec, COMPRESSORS), pageHeader, decoder);
      [count, encoding] = [pageHeader.num_values, pageHeader.encoding];
    } else if (header.type === 'DATA_PAGE_V2') {
      page = readDataPageV2(pageBytes, header, decoder);
      [count, encoding] = [header.data_page_header_v2!.num_values, header.data_page_header_v2!.encoding];
    } else {
      continue; // an index page: nothing to read
    }
    const present = pageValues(reading, page.dataPage, encoding, dictionary);
    if (present === undefined) return undefined;
    const levels = page.definitionLevels;
    if (!levels || levels.length === 0) {
      // No NULL in the page: its values are its rows.
      if (values instanceof Float64Array) values.set(present as Float64Array, row);
      else for (let i = 0; i < count; i++) values[row + i] = (present as string[])[i]!;
    } else {
      let next = 0;
      for (let i = 0; i < count; i++) {
        if (levels[i] === maxDefinition) values[row + i] = present[next++]!;
        else if (values instanceof Float64Array) (nulls ??= new Uint8Array(groupRows))[row + i] = 1;
      }
    }
    row += count;
  }
  if (row !== groupRows) throw new Error(`parquet column ${name}: read ${row} of the row group's ${groupRows} rows`);
  return { values, ...(nulls ? { nulls } : {}), ...(reading.kind === 'number' && reading.scale !== undefined ? { scale: reading.scale } : {}) };
}
