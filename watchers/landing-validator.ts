// Checks at the door: a landing is looked at when it becomes ready, before it may join a
// batch, so that a bad file is quarantined in milliseconds instead of costing a Spark start
// and holding its good neighbours back. Only the Parquet footer is read (the last few KB, by
// ranged reads on S3), never the data; Spark's own footer checks (spark-apps/sluice_spark/
// checks.py) stay as the last line for what a footer cannot show.
//
// The verdict agrees with checks.py: the same Spark type names (Parquet physical and
// logical types mapped as pyarrow maps them, then as checks.py names Arrow types), the
// same refusal of INT64 nanosecond timestamps (Spark 4 cannot read them), and a missing
// file is a bad file. A read that fails for another reason (a mount or S3 hiccup) is no
// verdict: it throws an OperationalError and the landing is looked at again later.
//
// Beyond Spark's checks, the door holds two of its own: `input.max_file_size`, and
// `input.not_null` — each listed column REQUIRED in the schema, or counted null-free by
// every row group's statistics (a footer without null counts cannot show it, and passes).
import { open, stat } from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parquetMetadataAsync, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { isMissingFile, OperationalError } from '../broker/core/errors.ts';
import type { Pipeline } from '../broker/core/pipeline.ts';
import { parseS3Uri } from '../broker/lake/s3-uri.ts';

/** What the door reads of a landing: where it is and its size as the ledger recorded it. */
export type DoorLanding = { uri: string; size: number };

/** The part of a pipeline the door checks against. */
export type DoorInput = Pick<Pipeline['input'], 'columns'> & Partial<Pick<Pipeline['input'], 'max_file_size' | 'not_null'>>;

/** A top-level column of a Parquet file, with its type as Spark names it. */
export type FooterColumn = { name: string; sparkType: string; int64Nanos: boolean; required: boolean };

/** Footers are a few KB; one read of this size nearly always holds the whole footer. */
const FOOTER_FETCH_BYTES = 64 * 1024;
const MIN_PARQUET_BYTES = 12;

/** The range read itself failed (not the bytes' fault). */
class ReadFailure extends Error {
  override readonly name = 'ReadFailure';
}

/** The file (object) is not there. */
class Missing extends Error {
  override readonly name = 'Missing';
}

/**
 * What is at the landing's path is no longer the landing's version (rewritten since it was
 * ready): no verdict on it may stand for the landing, and nothing may move it. The new
 * version is a landing of its own, which its source hands over when it is ready.
 */
export class Superseded extends Error {
  override readonly name = 'Superseded';

  constructor(uri: string) {
    super(`${uri} has changed since it was ready`);
  }
}


const INTEGER_NAMES: Record<string, string> = {
  '8:true': 'tinyint',
  '16:true': 'smallint',
  '32:true': 'int',
  '64:true': 'long',
  // Unsigned integers as Spark reads them: one size up (checks.py names them the same way).
  '8:false': 'smallint',
  '16:false': 'int',
  '32:false': 'long',
  '64:false': 'decimal(20,0)',
};

const CONVERTED_INTEGERS: Record<string, string> = {
  INT_8: '8:true',
  INT_16: '16:true',
  INT_32: '32:true',
  INT_64: '64:true',
  UINT_8: '8:false',
  UINT_16: '16:false',
  UINT_32: '32:false',
  UINT_64: '64:false',
};

const TIME_NAMES: Record<string, string> = { MILLIS: 'time32[ms]', MICROS: 'time64[us]', NANOS: 'time64[ns]' };

/** The Spark SQL name of a primitive column's type, as checks.py's spark_type_name gives it. */
export function sparkTypeName(element: SchemaElement): string {
  const logical = element.logical_type;
  const converted = element.converted_type;
  if (logical?.type === 'DECIMAL') return `decimal(${logical.precision},${logical.scale})`;
  if (converted === 'DECIMAL') return `decimal(${element.precision ?? 0},${element.scale ?? 0})`;
  if (logical?.type === 'INTEGER') return INTEGER_NAMES[`${logical.bitWidth}:${logical.isSigned}`] ?? 'long';
  if (converted && CONVERTED_INTEGERS[converted]) return INTEGER_NAMES[CONVERTED_INTEGERS[converted]]!;
  if (logical?.type === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') return 'timestamp';
  if (logical?.type === 'DATE' || converted === 'DATE') return 'date';
  if (logical?.type === 'TIME') return TIME_NAMES[logical.unit] ?? 'time64[us]';
  if (converted === 'TIME_MILLIS') return TIME_NAMES.MILLIS!;
  if (converted === 'TIME_MICROS') return TIME_NAMES.MICROS!;
  if (logical?.type === 'FLOAT16') return 'float';
  if (logical?.type === 'NULL') return 'null';
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      return 'int';
    case 'INT64':
      return 'long';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      return logical?.type === 'STRING' || logical?.type === 'JSON' || converted === 'UTF8' || converted === 'JSON' ? 'string' : 'binary';
    case 'FIXED_LEN_BYTE_ARRAY':
      return `fixed_size_binary[${element.type_length ?? 0}]`;
    default:
      return 'unknown';
  }
}

/** A group column's name for messages: it never equals a declared type (those are all primitive). */
function groupTypeName(element: SchemaElement): string {
  const kind = element.logical_type?.type ?? element.converted_type;
  return kind === 'LIST' ? 'array' : kind === 'MAP' || kind === 'MAP_KEY_VALUE' ? 'map' : 'struct';
}

/** The top-level columns of a footer's schema (nested fields are skipped over, not listed). */
export function footerColumns(metadata: Pick<FileMetaData, 'schema'>): FooterColumn[] {
  const { schema } = metadata;
  const columns: FooterColumn[] = [];
  const topLevel = schema[0]?.num_children ?? 0;
  let index = 1;
  for (let child = 0; child < topLevel && index < schema.length; child += 1) {
    const element = schema[index]!;
    const isGroup = (element.num_children ?? 0) > 0;
    columns.push({
      name: element.name,
      sparkType: isGroup ? groupTypeName(element) : sparkTypeName(element),
      int64Nanos: !isGroup && element.type === 'INT64' && element.logical_type?.type === 'TIMESTAMP' && element.logical_type.unit === 'NANOS',
      required: element.repetition_type === 'REQUIRED',
    });
    index = afterSubtree(schema, index);
  }
  return columns;
}

/** The index just past the element at `index` and all its descendants (the schema is depth-first). */
function afterSubtree(schema: SchemaElement[], index: number): number {
  let pending = 1;
  let at = index;
  while (pending > 0 && at < schema.length) {
    pending += (schema[at]!.num_children ?? 0) - 1;
    at += 1;
  }
  return at;
}

const normalize = (type: string): string => type.replace(/\s+/g, '').toLowerCase();

/**
 * How many nulls the footer's statistics count in a top-level column, or undefined when a
 * row group's statistics do not say (the door cannot tell then; it does not guess).
 */
function nullCount(metadata: Pick<FileMetaData, 'row_groups'>, name: string): number | undefined {
  let total = 0;
  for (const group of metadata.row_groups) {
    const chunk = group.columns.find((column) => column.meta_data?.path_in_schema.length === 1 && column.meta_data.path_in_schema[0] === name);
    const count = chunk?.meta_data?.statistics?.null_count;
    if (count === undefined) return Number(group.num_rows) === 0 ? total : undefined;
    total += Number(count);
  }
  return total;
}

/** Why the footer does not fit the declared columns (naming the file and column), or undefined. */
export function footerProblem(uri: string, metadata: Pick<FileMetaData, 'schema' | 'row_groups'>, input: Pick<DoorInput, 'columns' | 'not_null'>): string | undefined {
  const found = footerColumns(metadata);
  const { columns } = input;
  for (const [name, expected] of Object.entries(columns)) {
    // Exactly one column of the name, as pyarrow's get_field_index asks.
    const matches = found.filter((column) => column.name === name);
    if (matches.length !== 1) return `input ${uri}: column "${name}" is missing (expected ${expected})`;
    const column = matches[0]!;
    if (normalize(column.sparkType) !== normalize(expected)) return `input ${uri}: column "${name}" is ${column.sparkType}, expected ${expected}`;
    if (column.int64Nanos) return `input ${uri}: column "${name}" holds nanosecond timestamps, which Spark cannot read`;
  }
  for (const name of input.not_null ?? []) {
    const column = found.find((candidate) => candidate.name === name);
    if (!column || column.required) continue;
    const nulls = nullCount(metadata, name);
    if (nulls !== undefined && nulls > 0) return `input ${uri}: column "${name}" holds ${nulls} null${nulls === 1 ? '' : 's'}, and input.not_null says it must hold none`;
  }
  return undefined;
}

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

/**
 * Whether a file looks like Parquet still being written: it starts as Parquet does (PAR1, the
 * start of it, or zeros so far: a copy that set the file's length before writing it) and has
 * no footer yet (no PAR1 at its end, or too short to hold one). Such a file is unfinished, not
 * bad: its source waits for it (fs-source.ts, `ready.footer_wait`). Anything else (a footer
 * corrupt in other ways, a file that is not Parquet at all) is the door's to judge, at once.
 * `head` and `tail` are the file's first and last min(4, size) bytes.
 */
export function lacksFooterYet(head: Uint8Array, tail: Uint8Array, size: number): boolean {
  const startsLikeParquet = head.every((byte, index) => byte === MAGIC[index]) || head.every((byte) => byte === 0);
  if (!startsLikeParquet) return false;
  if (size < MIN_PARQUET_BYTES) return true;
  return !MAGIC.every((byte, index) => tail[tail.length - 4 + index] === byte);
}

/** lacksFooterYet() for a local file (two 4-byte reads). Throws when it cannot be read. */
export async function footerPendingAt(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(4, size);
    const head = new Uint8Array(length);
    const tail = new Uint8Array(length);
    await handle.read(head, 0, length, 0);
    await handle.read(tail, 0, length, size - length);
    return lacksFooterYet(head, tail, size);
  } finally {
    await handle.close();
  }
}

export class LandingValidator {
  /** `s3` is used only for s3:// landings. */
  constructor(private readonly s3: S3Client) {}

  /**
   * The reason the landing may not join a batch (it names the file and the column or
   * setting), or undefined when it fits. Throws an OperationalError when the file could not
   * be read for a reason that is not the file's.
   */
  async check(landing: DoorLanding, input: DoorInput): Promise<string | undefined> {
    // A verdict is on the landing's version: a file rewritten since it was ready (a re-check
    // after a rescan, a restart or a release) is neither judged nor moved for it. Told by its
    // size: a later mtime alone may be a touch (same content), which stays the same landing.
    if (!landing.uri.startsWith('s3://')) {
      const now = await stat(landing.uri).catch((error: unknown) => {
        if (isMissingFile(error)) return undefined;
        throw new OperationalError(`could not stat ${landing.uri}`, { cause: error });
      });
      if (!now) return `input ${landing.uri}: file not found`;
      if (now.size !== landing.size) throw new Superseded(landing.uri);
    }
    if (input.max_file_size !== undefined && landing.size > input.max_file_size) {
      return `input ${landing.uri}: ${landing.size} bytes is larger than input.max_file_size (${input.max_file_size} bytes)`;
    }
    // Magic, footer length and magic again: nothing shorter can be Parquet.
    if (landing.size < MIN_PARQUET_BYTES) return `input ${landing.uri}: not a readable Parquet file (${landing.size} bytes)`;
    let metadata: FileMetaData;
    try {
      metadata = await this.readFooter(landing);
    } catch (error) {
      if (error instanceof Missing) return `input ${landing.uri}: file not found`;
      if (error instanceof Superseded) throw error;
      if (error instanceof ReadFailure) throw new OperationalError(`could not read the footer of ${landing.uri}`, { cause: error.cause });
      return `input ${landing.uri}: not a readable Parquet file (${(error as Error).message})`;
    }
    return footerProblem(landing.uri, metadata, input);
  }

  private async readFooter(landing: DoorLanding): Promise<FileMetaData> {
    if (landing.uri.startsWith('s3://')) return parquetMetadataAsync(this.s3Range(landing), { initialFetchSize: FOOTER_FETCH_BYTES });
    const handle = await open(landing.uri, 'r').catch((error: unknown) => {
      throw isMissingFile(error) ? new Missing(landing.uri) : new ReadFailure('open failed', { cause: error });
    });
    try {
      const { size } = await handle.stat();
      const file: AsyncBuffer = {
        byteLength: size,
        async slice(start, end = size) {
          const bytes = new Uint8Array(Math.max(0, end - start));
          try {
            const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
            return bytes.buffer.slice(0, bytesRead);
          } catch (error) {
            throw new ReadFailure('read failed', { cause: error });
          }
        },
      };
      return await parquetMetadataAsync(file, { initialFetchSize: FOOTER_FETCH_BYTES });
    } finally {
      await handle.close();
    }
  }

  private s3Range(landing: DoorLanding): AsyncBuffer {
    const { bucket, prefix: key } = parseS3Uri(landing.uri);
    const s3 = this.s3;
    return {
      byteLength: landing.size,
      async slice(start, end = landing.size) {
        if (end <= start) return new ArrayBuffer(0);
        let object;
        try {
          object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if ((error as Error).name === 'NoSuchKey' || status === 404) throw new Missing(landing.uri);
          // A range past the end of an object shorter than the landing's: another version.
          if (status === 416) throw new Superseded(landing.uri);
          throw new ReadFailure('ranged read failed', { cause: error });
        }
        // The footer's offsets are the landing's: read from an object of another size (uploaded
        // again since), they would be garbage, and a verdict on it would not be the landing's.
        const total = /\/(\d+)$/.exec(object.ContentRange ?? '')?.[1];
        if (total !== undefined && Number(total) !== landing.size) {
          object.Body?.transformToByteArray().catch(() => undefined); // drain the answer
          throw new Superseded(landing.uri);
        }
        try {
          const bytes = await object.Body!.transformToByteArray();
          return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
        } catch (error) {
          // The answer's status was read above: what fails here is its body on the wire.
          throw new ReadFailure('ranged read failed', { cause: error });
        }
      },
    };
  }
}
