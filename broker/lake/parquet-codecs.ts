// The compression codecs the lake reader takes. hyparquet decompresses SNAPPY (Spark's and
// DuckDB's default) and uncompressed pages by itself; a pipeline may have Spark write others
// (`engine.conf: { spark.sql.parquet.compression.codec: zstd }`). GZIP and BROTLI come from
// node:zlib (native, faster than hyparquet-compressors' JavaScript ones); ZSTD and both LZ4
// framings from hyparquet-compressors. LZO has no decoder in either: a run written with it is
// refused before its load starts, naming the setting to change, rather than failing at its
// first page after the step's retries.
import { brotliDecompressSync, unzipSync } from 'node:zlib';
import type { CompressionCodec, Compressors, FileMetaData } from 'hyparquet';
import { decompressLz4, decompressLz4Raw, decompressZstd } from 'hyparquet-compressors';
import { SinkError } from '../../sql-sinks/sink-error.ts';

export const COMPRESSORS: Compressors = {
  // unzip takes a gzip stream (what Parquet writers write) or a zlib one.
  GZIP: (input) => unzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input) => decompressZstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
};

/** What hyparquet reads by itself, and what COMPRESSORS adds. */
const READABLE: ReadonlySet<CompressionCodec> = new Set(['UNCOMPRESSED', 'SNAPPY', ...(Object.keys(COMPRESSORS) as CompressionCodec[])]);

/** Refuses a part file with a column chunk in a codec this reader cannot decompress (a `user` failure: the pipeline picked it). */
export function checkCodecs(key: string, metadata: FileMetaData): void {
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const codec = chunk.meta_data?.codec;
      if (codec === undefined || READABLE.has(codec)) continue;
      throw new SinkError(
        'user',
        `${key} is compressed with ${codec}, which the SQL load cannot read (it reads ${[...READABLE].join(', ')}): ` +
          `set spark.sql.parquet.compression.codec in the pipeline's engine.conf to snappy (the default), zstd or gzip`,
      );
    }
  }
}
