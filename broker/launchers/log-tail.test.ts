import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLines, readFrom, readTailLines } from './log-tail.ts';

let dir: string;

// Node 20 has no Array.fromAsync.
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tail-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('log tail', () => {
  it('takes the last lines of a text', () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(lastLines('a\nb\nc', 1)).toBe('c');
    expect(lastLines('a\nb\n', 5)).toBe('a\nb\n');
    expect(lastLines('a\nb\n', 0)).toBe('');
  });

  it('reads the last lines of a large file from its end, within the byte bound', async () => {
    const path = join(dir, 'driver.log');
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}\n`).join('');
    await writeFile(path, lines);
    const tail = await readTailLines(path, 3);
    expect(tail).toEqual({ text: 'line 49997\nline 49998\nline 49999\n', end: Buffer.byteLength(lines) });
    const bounded = await readTailLines(path, 1_000_000, 100);
    expect(bounded.text.length).toBeLessThanOrEqual(100);
    expect(bounded.text.endsWith('line 49999\n')).toBe(true);
  });

  it('reads a missing file as empty', async () => {
    expect(await readTailLines(join(dir, 'none'), 5)).toEqual({ text: '', end: 0 });
    expect(await collect(readFrom(join(dir, 'none'), 0))).toEqual([]);
  });

  it('reads from an offset to the end', async () => {
    const path = join(dir, 'driver.log');
    await writeFile(path, 'hello world');
    const chunks = await collect(readFrom(path, 6));
    expect(Buffer.concat(chunks).toString()).toBe('world');
  });
});
