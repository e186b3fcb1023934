// The landing side of a pipeline: where files land (`sources`), how they are grouped into
// jobs (`batch`) and what happens to them afterwards (`after`). Validated at pipeline load
// like the rest of the pipeline; nothing in watchers/ re-checks the shape.
import { z } from 'zod';
import { DurationSchema, SizeSchema } from './units.ts';

/** A source's stable name in ledger keys and fingerprints; defaults to one derived from its location. */
export const SourceIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'must start with a lowercase letter and hold only a-z, 0-9, "_", "." and "-" (at most 63)');

const GlobListSchema = z.array(z.string().min(1)).min(1);

export const FsReadySchema = z
  .object({
    /** stable: size and mtime unchanged across `quiet`; marker: a marker file in the folder; rename: temp names ignored, a final name is ready. */
    rule: z.enum(['stable', 'marker', 'rename']).default('stable'),
    quiet: DurationSchema.default(2_000),
    marker: z.string().min(1).regex(/^[^/\\]+$/, 'must be a file name, not a path').default('_SUCCESS'),
    /**
     * Names (matched against the file name) that are still being written. "*._COPYING_" is
     * what `hdfs dfs -put` really writes; "_COPYING_*" is kept for tools that prefix.
     */
    temp: GlobListSchema.default(['*.tmp', '_COPYING_*', '*._COPYING_', '.*']),
    /**
     * A file that looks like Parquet being written (it starts with PAR1, or is empty or
     * zero-filled so far) but has no footer yet (no PAR1 at its end) is not finished, whatever
     * the rule says: a writer pausing between row groups, an SMB copy whose writes show late.
     * It waits, and is looked at again every `quiet`; only once it has stayed unchanged,
     * still without a footer, for this long is it handed to the door, which quarantines it.
     */
    footer_wait: DurationSchema.default(600_000),
  })
  .strict();

export const FsSourceSchema = z
  .object({
    kind: z.literal('fs'),
    id: SourceIdSchema.optional(),
    path: z.string().min(1).refine((path) => path.startsWith('/'), 'must be an absolute path'),
    /** Matched case-insensitively (EXPORT.PARQUET from Windows matches "**\/*.parquet"). */
    include: GlobListSchema.default(['**/*.parquet']),
    /**
     * For SMB/NFS mounts, where the kernel sends no change events for writes made by other
     * machines. Off by default; the source warns at start when its folder is on such a mount.
     */
    polling: z.boolean().default(false),
    interval: DurationSchema.default(2_000),
    /** Full listing that reconciles with the ledger (lost events, files landed while down). */
    rescan: DurationSchema.default(300_000),
    ready: FsReadySchema.default(FsReadySchema.parse({})),
    /** When false, a file whose mtime changed but whose content did not is not a new landing. */
    touch_is_new: z.boolean().default(false),
  })
  .strict();

export const S3ReadySchema = z
  .object({
    /** stable: an object is whole once listed (S3 shows a multipart upload only when completed). */
    rule: z.enum(['stable', 'marker']).default('stable'),
    marker: z.string().min(1).regex(/^[^/]+$/, 'must be an object name, not a key').default('_SUCCESS'),
  })
  .strict();

/** S3's bucket naming rule (and no ".."), so that a typo fails at start-up rather than on the first request. */
export const S3_BUCKET = /^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const S3SourceSchema = z
  .object({
    kind: z.literal('s3'),
    id: SourceIdSchema.optional(),
    bucket: z.string().regex(S3_BUCKET, 'must be an S3 bucket name'),
    /** A folder: "sales" and "sales/" both mean the keys under "sales/" (never "sales-eu/..."); see s3FolderPrefix(). */
    prefix: z.string().default(''),
    /** Matched case-insensitively, as for fs sources. */
    include: GlobListSchema.default(['**/*.parquet']),
    interval: DurationSchema.default(5_000),
    ready: S3ReadySchema.default(S3ReadySchema.parse({})),
  })
  .strict();

export const SourceSchema = z.discriminatedUnion('kind', [FsSourceSchema, S3SourceSchema]);

export const SourcesSchema = z
  .array(SourceSchema)
  .default([])
  .superRefine((sources, ctx) => {
    const seen = new Map<string, number>();
    sources.forEach((source, index) => {
      const id = sourceId(source);
      const first = seen.get(id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `source id "${id}" is already used by source ${first}` });
      else seen.set(id, index);
    });
  });

export const BatchSchema = z
  .object({
    max_files: z.number().int().min(1).max(10_000).default(200),
    max_bytes: SizeSchema.default(20_000_000_000),
    /** Counted from the first file of the batch, so a steady trickle still closes batches. */
    max_wait: DurationSchema.default(30_000),
  })
  .strict();

/** Where a file goes: a folder (absolute path) or an s3:// prefix. */
const LocationSchema = z
  .string()
  .min(1)
  .refine((location) => location.startsWith('/') || /^s3:\/\/[a-z0-9][a-z0-9.-]+\/?/.test(location), 'must be an absolute folder or an s3://bucket/prefix');

export const AfterSchema = z
  .object({
    /** Defaults to archive when an archive location is given (as in `after: { archive: s3://... }`), else keep. */
    on_success: z.enum(['archive', 'delete', 'keep']).optional(),
    archive: LocationSchema.optional(),
    /** Files of a `data` failure go here, with a reason file beside them. */
    quarantine: LocationSchema.optional(),
  })
  .strict()
  .transform((after, ctx) => {
    const onSuccess = after.on_success ?? (after.archive ? 'archive' : 'keep');
    if (onSuccess === 'archive' && !after.archive) {
      ctx.addIssue({ code: 'custom', path: ['archive'], message: 'on_success: archive needs an archive location' });
      return z.NEVER;
    }
    return { ...after, on_success: onSuccess };
  });

/** The three landing fields of a pipeline (spread into PipelineSchema). */
export const LandingConfigSchema = z
  .object({
    sources: SourcesSchema,
    batch: BatchSchema.default(BatchSchema.parse({})),
    after: AfterSchema.default({ on_success: 'keep' }),
  })
  .strict();

export type FsSource = z.infer<typeof FsSourceSchema>;
export type S3Source = z.infer<typeof S3SourceSchema>;
export type Batch = z.infer<typeof BatchSchema>;
export type After = z.infer<typeof AfterSchema>;

/**
 * The id written into fingerprints and ledger keys. Derived from the location, not the
 * position in the list, so that reordering sources does not make every file new again.
 */
export function sourceId(source: { kind: 'fs'; id?: string; path: string } | { kind: 's3'; id?: string; bucket: string; prefix: string }): string {
  if (source.id) return source.id;
  return source.kind === 'fs' ? `fs:${source.path.replace(/\/+$/, '') || '/'}` : `s3:${source.bucket}/${source.prefix}`;
}

/**
 * The key prefix an s3 source lists and confines to: its `prefix` taken as a folder ("sales"
 * and "sales/" are "sales/", so that "sales-eu/x" and "salesforce/x" are not its keys; '' is
 * the whole bucket). The source id keeps the prefix as written, so ledger keys do not move.
 */
export function s3FolderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** A folder without its trailing '/' and with "." / ".." / "//" resolved, for comparing places. */
function normalFolder(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Where a source takes files from, for messages: the folder, or s3://bucket/prefix as it lists it. */
export function sourcePlace(source: FsSource | S3Source): string {
  return source.kind === 'fs' ? source.path : `s3://${source.bucket}/${s3FolderPrefix(source.prefix)}`;
}

/** Whether two sources may take the same file: the same folder or one inside the other (the same bucket and nested prefixes for s3). */
export function sourcesOverlap(a: FsSource | S3Source, b: FsSource | S3Source): boolean {
  if (a.kind === 'fs' && b.kind === 'fs') {
    const [x, y] = [normalFolder(a.path), normalFolder(b.path)];
    const under = (folder: string, root: string): boolean => folder === root || root === '/' || folder.startsWith(`${root}/`);
    return under(x, y) || under(y, x);
  }
  if (a.kind === 's3' && b.kind === 's3') {
    if (a.bucket !== b.bucket) return false;
    const [x, y] = [s3FolderPrefix(a.prefix), s3FolderPrefix(b.prefix)];
    return x.startsWith(y) || y.startsWith(x);
  }
  return false;
}

/** A pair of sources (of one pipeline or two) that would take the same files. */
export type SourceOverlap = { first: { owner: string; source: FsSource | S3Source }; second: { owner: string; source: FsSource | S3Source } };

/**
 * Every pair of sources, across all pipelines and within one, whose places overlap. Two
 * watchers of one file both take it (two jobs), and one's archive or quarantine moves it
 * from under the other; with the same source id the second never gets a file at all.
 */
export function overlappingSources(owners: ReadonlyArray<{ owner: string; sources: ReadonlyArray<FsSource | S3Source> }>): SourceOverlap[] {
  const all = owners.flatMap(({ owner, sources }) => sources.map((source) => ({ owner, source })));
  const found: SourceOverlap[] = [];
  for (let i = 0; i < all.length; i += 1) {
    for (let j = i + 1; j < all.length; j += 1) if (sourcesOverlap(all[i]!.source, all[j]!.source)) found.push({ first: all[i]!, second: all[j]! });
  }
  return found;
}
