import type { FileMetaData } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../sql-sinks/sink-error.ts';
import { checkCodecs } from './parquet-codecs.ts';

/** The footer of a part file with one row group whose column chunks use `codecs`. */
const footerWith = (...codecs: string[]): FileMetaData =>
  ({ row_groups: [{ columns: codecs.map((codec) => ({ meta_data: { codec } })) }] }) as unknown as FileMetaData;

describe('checkCodecs', () => {
  it('takes every codec the reader decompresses', () => {
    expect(() => checkCodecs('t/run=j-1/part-0.parquet', footerWith('UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4', 'LZ4_RAW'))).not.toThrow();
  });

  it('refuses LZO as a user error naming the file, the codec and the setting to change', () => {
    let thrown: unknown;
    try {
      checkCodecs('t/run=j-1/part-0.parquet', footerWith('SNAPPY', 'LZO'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SinkError);
    expect(thrown).toMatchObject({ failureClass: 'user' });
    expect((thrown as Error).message).toMatch(/^t\/run=j-1\/part-0\.parquet is compressed with LZO.*spark\.sql\.parquet\.compression\.codec/);
  });
});
