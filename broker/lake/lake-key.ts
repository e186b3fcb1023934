// Lake keys are '/'-separated paths below the lake root, the same on every storage: the fs
// storage maps them to files, the S3 storage to object keys below its prefix. Neither may
// be led outside the root, so both check keys and prefixes here.
import { UserError } from '../core/errors.ts';

/** The segments of a key (or of a prefix, whose last segment may be empty or partial), refusing any that would leave the root. */
export function keySegments(key: string, isPrefix: boolean): string[] {
  const segments = key.split('/');
  const checked = isPrefix ? segments.slice(0, -1) : segments;
  const bad = key.startsWith('/') || key.includes('\\') || key.includes('\0') || checked.some((s) => s === '' || s === '.' || s === '..');
  const lastIsDots = isPrefix && (segments.at(-1) === '.' || segments.at(-1) === '..');
  if (bad || lastIsDots || (!isPrefix && key === '')) {
    throw new UserError('invalid-lake-key', `lake key "${key}" is not a relative path inside the lake (no "..", ".", empty or absolute parts)`);
  }
  return segments;
}
