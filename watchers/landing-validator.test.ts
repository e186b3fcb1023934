import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { footerPendingAt, lacksFooterYet } from './landing-validator.ts';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const ends = (content: Buffer): [Uint8Array, Uint8Array, number] => {
  const length = Math.min(4, content.length);
  return [new Uint8Array(content.subarray(0, length)), new Uint8Array(content.subarray(content.length - length)), content.length];
};
const footerLength = (length: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(length);
  return buffer;
};

describe('lacksFooterYet: Parquet still being written, not bad', () => {
  it('is true for a file that starts as Parquet does and has no PAR1 at its end', () => {
    expect(lacksFooterYet(...ends(Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(5000, 9)])))).toBe(true);
    // Header only (the writer buffers its first row group), or nothing yet.
    expect(lacksFooterYet(bytes('PAR1'), bytes('PAR1'), 4)).toBe(true);
    expect(lacksFooterYet(bytes('PA'), bytes('PA'), 2)).toBe(true);
    expect(lacksFooterYet(new Uint8Array(0), new Uint8Array(0), 0)).toBe(true);
    // A copy that set the file's length first and has not written it yet.
    expect(lacksFooterYet(...ends(Buffer.alloc(8192)))).toBe(true);
  });

  it('is false for a finished file, a footer corrupt in other ways, and a file that is not Parquet at all (the door judges those at once)', () => {
    expect(lacksFooterYet(...ends(Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 1), footerLength(50), Buffer.from('PAR1')])))).toBe(false);
    expect(lacksFooterYet(...ends(Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 1), footerLength(1e9), Buffer.from('PAR1')])))).toBe(false);
    expect(lacksFooterYet(...ends(Buffer.from('region,amount\nnorth,1.5\n')))).toBe(false);
    expect(lacksFooterYet(...ends(Buffer.from('a')))).toBe(false);
  });

  it('reads a file\'s two ends (footerPendingAt)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-footer-'));
    try {
      await writeFile(join(dir, 'half.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 3)]));
      await writeFile(join(dir, 'whole.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(100, 3), footerLength(20), Buffer.from('PAR1')]));
      await writeFile(join(dir, 'empty.parquet'), '');
      expect(await footerPendingAt(join(dir, 'half.parquet'))).toBe(true);
      expect(await footerPendingAt(join(dir, 'whole.parquet'))).toBe(false);
      expect(await footerPendingAt(join(dir, 'empty.parquet'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
