// A landing's identity. The fingerprint is what the ledger is keyed by: seeing the same
// fingerprint again (a rescan, a duplicate event, a restart, a second Sluice) is never a
// new landing; a different fingerprint on the same path is one, unless it is a "touch".
//
// fs: hash(source, path, size, mtime). It needs only a stat, so a rescan of 100,000 files
// reads no file content, and any rewrite (which moves mtime) is a new fingerprint.
// s3: hash(source, key, size, ETag). The ETag changes with the content.
//
// The touch rule (touch_is_new: false, the default): an mtime-only change is not a new
// landing. A new mtime alone cannot tell a touch from a same-size rewrite, so when a path's
// size and inode are unchanged but its mtime moved, the file's content sample (size plus
// SHA-256 of its first and last 64 KiB, kept in the ledger since the file was ready) is read
// again: equal means touched, different means rewritten. For Parquet the last 64 KiB hold
// the footer (row-group offsets, sizes and column statistics), which any real rewrite
// changes. The sample is read once per ready file and once per suspected touch, never on
// a plain rescan. With touch_is_new: true every mtime change is a new landing.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const SAMPLE_BYTES = 64 * 1024;

/** What one stat of a file says; mtime in whole milliseconds (filesystems differ below that). */
export type FileStat = { size: number; mtimeMs: number; ino: number };

function digest(parts: Array<string | number>): string {
  // NUL never occurs in a path or an id, so the joined parts cannot collide by shifting.
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);
}

export function fsFingerprint(source: string, path: string, size: number, mtimeMs: number): string {
  return digest(['fs.v1', source, path, size, Math.floor(mtimeMs)]);
}

export function s3Fingerprint(source: string, key: string, size: number, etag: string): string {
  // S3 returns the ETag quoted; the quotes are not part of the identity.
  return digest(['s3.v1', source, key, size, etag.replace(/^"|"$/g, '')]);
}

/** The content sample of the touch rule: size + SHA-256 of the first and last 64 KiB. */
export async function contentSample(absolutePath: string, size: number): Promise<string> {
  const hash = createHash('sha256').update(`${size}\0`);
  const handle = await open(absolutePath, 'r');
  try {
    const head = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    hash.update(head.subarray(0, bytesRead));
    if (size > SAMPLE_BYTES) {
      const tailStart = Math.max(SAMPLE_BYTES, size - SAMPLE_BYTES);
      const tail = Buffer.alloc(size - tailStart);
      const read = await handle.read(tail, 0, tail.length, tailStart);
      hash.update(tail.subarray(0, read.bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex').slice(0, 40);
}

/** What the ledger remembers of the last version of a path. */
export type PathRecord = { fingerprint: string; size: number; mtimeMs: number; ino: number; sample?: string };

/**
 * How a fresh stat of a known path relates to its last version:
 * - `same`: nothing changed, nothing to do;
 * - `maybe-touch`: only the mtime moved; compare content samples to decide;
 * - `new`: a new landing (new size, new inode, or every mtime change when touch_is_new).
 */
export type Change = 'same' | 'maybe-touch' | 'new';

export function classifyChange(previous: PathRecord | undefined, current: FileStat, touchIsNew: boolean): Change {
  if (!previous) return 'new';
  if (previous.size === current.size && previous.mtimeMs === Math.floor(current.mtimeMs)) return 'same';
  // A different inode is a different file put in place (delete + create, or rename over):
  // a re-delivery is a landing even when its bytes match.
  if (touchIsNew || previous.size !== current.size || previous.ino !== current.ino || previous.sample === undefined) return 'new';
  return 'maybe-touch';
}
