// Input paths are confined to the configured landing roots: a request may name files and
// folders under a root, and nothing else on the machine (no "..", no symlink out).
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, type ErrorDetail } from '../core/errors.ts';

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  // "..data.parquet" is a file inside the root; only ".." as a whole first segment leads out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Resolves request inputs (relative ones against the first root) and refuses any outside the roots. */
export function confineInputs(inputs: string[], roots: readonly string[], field = 'inputs'): string[] {
  const problems: ErrorDetail[] = [];
  const resolved = inputs.map((input, index) => {
    let path = input;
    if (input.startsWith('file:')) {
      // fileURLToPath decodes %20 and friends and refuses a remote host or an encoded "/".
      try {
        path = fileURLToPath(input);
      } catch (error) {
        problems.push({ path: `${field}.${index}`, message: `"${input}" is not a local file URI: ${(error as Error).message}` });
        return input;
      }
    }
    const absolute = isAbsolute(path) ? resolve(path) : resolve(roots[0] ?? '/', path);
    if (!roots.some((root) => isInside(root, absolute))) {
      problems.push({ path: `${field}.${index}`, message: `"${input}" is outside the landing roots (SLUICE_LANDING_ROOTS)` });
    }
    return absolute;
  });
  if (problems.length > 0) throw new UserError('input-outside-roots', 'an input is outside the landing roots', 422, problems);
  return resolved;
}

/**
 * The Parquet files a job reads, at launch: folders expand to the *.parquet files below them
 * (sorted; files in hidden or "_" folders such as Spark's `_temporary` are skipped), files stay
 * as named. A file named twice (itself and through its folder) is read once. A path that does
 * not exist is kept, so that the Spark app fails the job with a `data` reason naming it. A
 * symlink that leads out of the roots is refused.
 */
export async function expandInputs(paths: string[], roots: readonly string[]): Promise<string[]> {
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => root)));
  const files: string[] = [];
  for (const path of paths) {
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined) {
      // Not there (yet): its deepest existing folder must still lie inside the roots, or a
      // symlinked parent could lead the Spark read outside them once the file appears.
      const ancestor = await deepestExistingAncestor(path);
      if (!realRoots.some((root) => isInside(root, ancestor))) {
        throw new UserError('input-outside-roots', `"${path}" leads outside the landing roots`, 422);
      }
      files.push(path);
      continue;
    }
    if (!realRoots.some((root) => isInside(root, real))) {
      throw new UserError('input-outside-roots', `"${path}" leads outside the landing roots`, 422);
    }
    if ((await stat(real)).isDirectory()) files.push(...(await parquetFilesBelow(real)));
    else files.push(real);
  }
  return [...new Set(files)];
}

async function deepestExistingAncestor(path: string): Promise<string> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const real = await realpath(dir).catch(() => undefined);
    if (real !== undefined || dir === dirname(dir)) return real ?? dir;
  }
}

async function parquetFilesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const hidden = (segment: string) => segment.startsWith('.') || segment.startsWith('_');
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.parquet'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(dir, file).split(sep).some(hidden))
    .sort();
}
