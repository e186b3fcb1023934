// Bounded reads of a driver log that may grow to gigabytes: the last lines (read backwards
// from the end in chunks, never the whole file) and the bytes appended since an offset
// (streamed in chunks). A missing log reads as empty: the run may not have started yet.
import { open } from 'node:fs/promises';
import { isMissingFile } from '../core/errors.ts';

const CHUNK_BYTES = 64 * 1024;

export type TailRead = {
  /** The last lines, each ending in "\n" except perhaps a final unterminated one. */
  text: string;
  /** The file size when it was read: where a follower continues. */
  end: number;
};

/** The last `lines` lines of a file, reading at most `maxBytes` from its end. */
export async function readTailLines(path: string, lines: number, maxBytes = 1024 * 1024): Promise<TailRead> {
  const file = await openIfExists(path);
  if (!file) return { text: '', end: 0 };
  try {
    const { size } = await file.stat();
    const floor = Math.max(0, size - maxBytes);
    const chunks: Buffer[] = [];
    let start = size;
    let newlines = 0;
    // A trailing newline ends the last line; it does not start another one.
    const wanted = lines + 1;
    while (start > floor && newlines < wanted) {
      const length = Math.min(CHUNK_BYTES, start - floor);
      start -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, start);
      chunks.unshift(chunk);
      newlines += countNewlines(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return { text: lastLines(text, lines), end: size };
  } finally {
    await file.close();
  }
}

/** The bytes of a file from `position` to its current end, in chunks. */
export async function* readFrom(path: string, position: number): AsyncGenerator<Buffer> {
  const file = await openIfExists(path);
  if (!file) return;
  try {
    let offset = position;
    for (;;) {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** The last `count` lines of `text` (a final line without "\n" counts as one). */
export function lastLines(text: string, count: number): string {
  if (count <= 0) return '';
  let index = text.endsWith('\n') ? text.length - 1 : text.length;
  for (let seen = 0; seen < count; seen += 1) {
    if (index <= 0) return text;
    index = text.lastIndexOf('\n', index - 1);
    if (index < 0) return text;
  }
  return text.slice(index + 1);
}

function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let index = chunk.indexOf(10); index >= 0; index = chunk.indexOf(10, index + 1)) count += 1;
  return count;
}

async function openIfExists(path: string) {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw error;
  }
}
