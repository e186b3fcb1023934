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
  })
  .strict();

export const FsSourceSchema = z
  .object({
    kind: z.literal('fs'),
    id: SourceIdSchema.optional(),
    path: z.string().min(1).refine((path) => path.startsWith('/'), 'must be an absolute path'),
    include: GlobListSchema.default(['**/*.parquet']),
    /** For SMB/NFS mounts, where the kernel sends no change events. */
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
    prefix: z.string().default(''),
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
