// Input paths are confined to the configured landing roots: a request may name files and
// folders under a root, and nothing else on the machine (no "..", no symlink out).
//
// S3 inputs (`s3://bucket/key`) are confined the same way to the S3 landing roots: the
// pipelines' s3 sources (bucket + prefix taken as a folder, as they list it) and SLUICE_S3_LANDING_ROOTS. An
// S3 input names one object; an S3 "folder" (a key ending in '/', or a bare bucket) is
// refused, since expanding it would take a listing at launch (name the objects instead).
//
// Spark hands every path to Hadoop's glob, which expands {a,b}, [ab], *, ? and \ escapes: a
// file inside a root literally named "{a,../outside/x}.parquet" would be read as two paths,
// one outside the roots. The API refuses such characters in request inputs (the submit
// schema, core/job.ts); files found by folder expansion or by the watchers may still hold
// them, so the Spark app escapes every path before reading it (sluice_spark.storage
// literal_path) and the check here stays about places, not names.
import { readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError, type ErrorDetail } from '../core/errors.ts';
import { S3_BUCKET, s3FolderPrefix } from '../core/landing-config.ts';
import { keySegments } from '../lake/lake-key.ts';
import { parseS3Uri } from '../lake/s3-uri.ts';

/** An S3 landing root: objects of `bucket` whose key starts with `prefix` ('' for the whole bucket). */
export type S3Root = { bucket: string; prefix: string };

const S3_INPUT = /^s3:\/\/([^/]*)(?:\/(.*))?$/;

/**
 * Parses `s3://bucket/prefix` for SLUICE_S3_LANDING_ROOTS. A non-empty prefix is a folder:
 * "s3://landing/harp" and "s3://landing/harp/" both allow keys under "harp/" only.
 */
export function parseS3Root(uri: string): S3Root {
  const { bucket, prefix } = parseS3Uri(uri, 'S3 landing root');
  return { bucket, prefix: prefix === '' ? '' : `${prefix}/` };
}

/**
 * The S3 roots of the pipelines' s3 sources followed by `extra`. A source's prefix is a folder,
 * as the source lists it (s3FolderPrefix): "sales" allows keys under "sales/", not "salesforce/...".
 */
export function s3LandingRoots(pipelines: ReadonlyArray<{ sources: ReadonlyArray<{ kind: string; bucket?: string; prefix?: string }> }>, extra: readonly S3Root[] = []): S3Root[] {
  const fromSources = pipelines.flatMap((pipeline) =>
    pipeline.sources.flatMap((source) => (source.kind === 's3' && source.bucket !== undefined ? [{ bucket: source.bucket, prefix: s3FolderPrefix(source.prefix ?? '') }] : [])),
  );
  return [...fromSources, ...extra];
}

/** Why an s3:// input is refused, or undefined when it names one object under an S3 root. */
function s3Refusal(input: string, roots: readonly S3Root[]): string | undefined {
  const match = S3_INPUT.exec(input);
  const bucket = match?.[1] ?? '';
  const key = match?.[2] ?? '';
  if (!match || !S3_BUCKET.test(bucket)) return `"${input}" is not an s3://bucket/key URI`;
  if (key === '' || key.endsWith('/')) return `"${input}" names an S3 folder; S3 inputs must name objects (s3://bucket/key), not prefixes`;
  try {
    keySegments(key, false);
  } catch {
    return `"${input}" has an empty, "." or ".." part in its key`;
  }
  if (!roots.some((root) => root.bucket === bucket && key.startsWith(root.prefix))) {
    return `"${input}" is outside the S3 landing roots (the pipelines' s3 sources and SLUICE_S3_LANDING_ROOTS)`;
  }
  return undefined;
}

/** Folders that never hold landings or inputs: hidden ones and Spark/Hadoop's "_temporary" and friends. */
export const isHiddenSegment = (segment: string): boolean => segment.startsWith('.') || segment.startsWith('_');

const isS3 = (input: string): boolean => /^s3a?:\/\//i.test(input);

/** Whether `path` is `root` or lies below it (both absolute, symlinks already resolved when that matters). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  // "..data.parquet" is a file inside the root; only ".." as a whole first segment leads out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Resolves request inputs (relative ones against the first root) and refuses any outside the
 * roots; s3:// inputs are kept as given once inside an S3 root. An input named twice (after
 * resolution: "a.parquet", "./a.parquet") is kept once, at its first place.
 */
export function confineInputs(inputs: string[], roots: readonly string[], field = 'inputs', s3Roots: readonly S3Root[] = []): string[] {
  const problems: ErrorDetail[] = [];
  const resolved = inputs.map((input, index) => {
    const where = `${field}.${index}`;
    if (isS3(input)) {
      const refusal = input.startsWith('s3://') ? s3Refusal(input, s3Roots) : `"${input}": write S3 inputs as s3://bucket/key`;
      if (refusal) problems.push({ path: where, message: refusal });
      return input;
    }
    let path = input;
    if (input.startsWith('file:')) {
      // fileURLToPath decodes %20 and friends and refuses a remote host or an encoded "/".
      try {
        path = fileURLToPath(input);
      } catch (error) {
        problems.push({ path: where, message: `"${input}" is not a local file URI: ${(error as Error).message}` });
        return input;
      }
    }
    const absolute = isAbsolute(path) ? resolve(path) : resolve(roots[0] ?? '/', path);
    if (!roots.some((root) => isInside(root, absolute))) {
      problems.push({ path: where, message: `"${input}" is outside the landing roots (SLUICE_LANDING_ROOTS)` });
    }
    return absolute;
  });
  if (problems.length > 0) throw new UserError('input-outside-roots', 'an input is outside the landing roots', 422, problems);
  return [...new Set(resolved)];
}

/**
 * The Parquet files a job reads, at launch: folders expand to the *.parquet files below them
 * (sorted; files in hidden or "_" folders such as Spark's `_temporary` are skipped), files stay
 * as named. A file named twice (itself and through its folder) is read once. A path that does
 * not exist is kept, so that the Spark app fails the job with a `data` reason naming it. A
 * symlink that leads out of the roots is refused. s3:// inputs (objects, confined at submit)
 * are kept as they are.
 */
export async function expandInputs(paths: string[], roots: readonly string[]): Promise<string[]> {
  // The roots are resolved alongside the first path rather than before it: one file-system
  // round trip less on the way from a queued job to its launch.
  const resolvingRoots = Promise.all(roots.map((root) => realpath(root).catch(() => root)));
  const files: string[] = [];
  for (const path of paths) {
    if (isS3(path)) {
      files.push(path);
      continue;
    }
    // Its kind is asked alongside (stat follows links to what realpath names): one round trip.
    // One gone between the two is kept as a file, like any input not there.
    const [realRoots, { real, stats }] = await Promise.all([resolvingRoots, resolved(path)]);
    if (real === undefined) {
      // Not there (yet): its deepest existing folder must still lie inside the roots, or a
      // symlinked parent could lead the Spark read outside them once the file appears.
      confine(path, await deepestExistingAncestor(path), realRoots);
      files.push(path);
      continue;
    }
    confine(path, real, realRoots);
    if (stats?.isDirectory()) files.push(...(await parquetFilesBelow(real, realRoots)));
    else files.push(real);
  }
  return [...new Set(files)];
}

/** Where `path` leads and what is there (stat follows links to what realpath names); undefined for what is not there. */
async function resolved(path: string): Promise<{ real: string | undefined; stats: Stats | undefined }> {
  const [real, stats] = await Promise.all([realpath(path).catch(() => undefined), stat(path).catch(() => undefined)]);
  return { real, stats };
}

/** Refuses `path` when where it leads (`real`) is outside every (real) landing root. */
function confine(path: string, real: string, realRoots: readonly string[]): void {
  if (!realRoots.some((root) => isInside(root, real))) throw new UserError('input-outside-roots', `"${path}" leads outside the landing roots`, 422);
}

async function deepestExistingAncestor(path: string): Promise<string> {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const real = await realpath(dir).catch(() => undefined);
    if (real !== undefined || dir === dirname(dir)) return real ?? dir;
  }
}

/**
 * The *.parquet files below a folder (a real path), sorted. A symlink among them is followed
 * as the job's own inputs are: to a file or folder inside the roots it is read (by its real
 * path; a folder once, however many links lead to it), and one that leads outside the roots
 * or nowhere fails the job naming it. Skipping it would read fewer rows than the folder holds
 * and say nothing.
 */
async function parquetFilesBelow(dir: string, realRoots: readonly string[], walked = new Set<string>()): Promise<string[]> {
  walked.add(dir);
  const files: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (relative(dir, path).split(sep).some(isHiddenSegment)) continue;
    const parquet = entry.name.endsWith('.parquet');
    if (entry.isFile()) {
      if (parquet) files.push(path);
      continue;
    }
    if (!entry.isSymbolicLink()) continue;
    const { real, stats } = await resolved(path);
    if (real === undefined || stats === undefined) {
      if (parquet) throw new UserError('input-broken-link', `"${path}" is a symlink that leads nowhere`, 422);
      continue;
    }
    confine(path, real, realRoots);
    if (stats.isDirectory()) {
      if (!walked.has(real)) files.push(...(await parquetFilesBelow(real, realRoots, walked)));
    } else if (parquet) files.push(real);
  }
  return files.sort();
}
