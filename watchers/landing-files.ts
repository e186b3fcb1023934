// Moves, deletes and annotates landed files wherever they live: a folder or an S3 prefix,
// on either side of a move (a folder landing archived to s3://…, an S3 landing quarantined
// in s3://…). Used by the finish work; every operation is safe to repeat (a file already
// moved or deleted is left alone). Given the landing's recorded version, a move or remove
// touches the file only while it is still that version: a producer may have put a newer file
// at the same path, which is another landing's (docs/adr/0012, "Finish work").
import { createReadStream, createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConfigError } from '../broker/core/errors.ts';
import { parseS3Uri } from '../broker/lake/s3-uri.ts';

type Place = { kind: 'fs'; path: string } | { kind: 's3'; bucket: string; key: string };

function placeOf(uri: string): Place {
  if (uri.startsWith('/')) return { kind: 'fs', path: uri };
  if (uri.startsWith('s3://')) {
    const { bucket, prefix } = parseS3Uri(uri);
    return { kind: 's3', bucket, key: prefix };
  }
  throw new ConfigError(`"${uri}" is neither an absolute path nor an s3:// URI`);
}

/** `location` + `/` + `relative`, for a folder or an s3:// prefix. */
export function joinLocation(location: string, relative: string): string {
  return `${location.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

/**
 * A version of a file, as the ledger recorded it for a landing: size and mtime (whole ms) on a
 * folder; size and ETag on S3 (its LastModified is not compared: a copy in place changes it).
 */
export type FileVersion = { size: number; mtimeMs?: number; etag?: string };

/** What a move or remove did: 'changed' when the file there is no longer the expected version (left alone). */
export type FileOutcome = 'done' | 'missing' | 'changed';

type S3Error = { name?: string; $metadata?: { httpStatusCode?: number } };

const isNotFound = (error: S3Error): boolean => error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata?.httpStatusCode === 404;

/** A conditional S3 call refused (412: not the expected ETag) or on an object gone; anything else is thrown. */
function s3Outcome(error: S3Error): 'missing' | 'changed' {
  if (error.name === 'PreconditionFailed' || error.$metadata?.httpStatusCode === 412) return 'changed';
  if (isNotFound(error)) return 'missing';
  throw error;
}

const unquoted = (etag: string): string => etag.replace(/^"|"$/g, '');

/** Whether `found` is the `expected` version: ETag and size on S3, size and mtime on a folder (what is recorded is compared). */
export function sameVersion(found: FileVersion, expected: FileVersion): boolean {
  if (found.size !== expected.size) return false;
  if (expected.etag !== undefined && found.etag !== undefined) return unquoted(found.etag) === unquoted(expected.etag);
  if (expected.mtimeMs !== undefined && found.etag === undefined) return found.mtimeMs === Math.floor(expected.mtimeMs);
  return true;
}

/**
 * The name a landing's file takes beside a namesake already at `uri` (an archive or quarantine
 * copy is never overwritten): `<stem>.<first 12 of the fingerprint><.ext>`, e.g.
 * `orders.parquet` → `orders.3f2a9c01b7de.parquet`; the extension is kept so tools still know the file.
 */
export function besideName(uri: string, fingerprint: string): string {
  const slash = uri.lastIndexOf('/');
  const name = uri.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return `${uri.slice(0, slash + 1)}${stem}.${fingerprint.slice(0, 12)}${ext}`;
}

export class LandingFiles {
  /** `s3` is used only when a landing or a location is on S3. */
  constructor(private readonly s3: S3Client) {}

  async exists(uri: string): Promise<boolean> {
    const place = placeOf(uri);
    if (place.kind === 'fs') return access(place.path).then(() => true, () => false);
    return this.s3
      .send(new HeadObjectCommand({ Bucket: place.bucket, Key: place.key }))
      .then(() => true, (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
        if (error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404) return false;
        throw error;
      });
  }

  /** The file's size in bytes; undefined when it is not there. */
  async size(uri: string): Promise<number | undefined> {
    const place = placeOf(uri);
    if (place.kind === 'fs') return stat(place.path).then((found) => found.size, () => undefined);
    return this.s3
      .send(new HeadObjectCommand({ Bucket: place.bucket, Key: place.key }))
      .then((head) => head.ContentLength, (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
        if (error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      });
  }

  /**
   * Moves the file at `from` to `to`. With `expected` (the landing's recorded version), only
   * while the file there is still that version: a newer file at the path (another landing's)
   * is left where it is ('changed'). On S3 the copy is conditional on the ETag (CopySourceIfMatch,
   * If-Match on the read), and so is the remove (see remove()).
   */
  async move(from: string, to: string, expected?: FileVersion): Promise<FileOutcome> {
    const source = placeOf(from);
    const target = placeOf(to);
    const found = await this.versionOf(from);
    if (!found) return 'missing';
    if (expected && !sameVersion(found, expected)) return 'changed';
    const etag = expected?.etag ?? found.etag;
    if (source.kind === 'fs' && target.kind === 'fs') {
      await mkdir(dirname(target.path), { recursive: true });
      // A rename moves the file it names: no remove follows, so no later check is needed.
      const renamed = await rename(source.path, target.path).then(
        () => true,
        async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'EXDEV') throw error;
          await copyFile(source.path, target.path);
          return false;
        },
      );
      if (renamed) return 'done';
    } else if (source.kind === 's3' && target.kind === 's3') {
      const copied = await this.s3
        .send(new CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: `${source.bucket}/${encodeURIComponent(source.key).replace(/%2F/g, '/')}`, ...(etag ? { CopySourceIfMatch: etag } : {}) }))
        .then(() => 'done' as const, (error: S3Error) => s3Outcome(error));
      if (copied !== 'done') return copied;
    } else if (source.kind === 'fs' && target.kind === 's3') {
      // Streamed in parts: a landing of 50 GB passes through bounded memory.
      await new Upload({ client: this.s3, params: { Bucket: target.bucket, Key: target.key, Body: createReadStream(source.path) }, partSize: 64 * 1024 * 1024, queueSize: 2 }).done();
    } else if (source.kind === 's3' && target.kind === 'fs') {
      const object = await this.s3
        .send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key, ...(etag ? { IfMatch: etag } : {}) }))
        .catch((error: S3Error) => s3Outcome(error));
      if (typeof object === 'string') return object;
      await mkdir(dirname(target.path), { recursive: true });
      await pipeline(object.Body as Readable, createWriteStream(target.path));
    }
    // A copy: the source goes only while it is still the version copied.
    const removed = await this.remove(from, expected ?? found);
    return removed === 'missing' ? 'done' : removed;
  }

  /**
   * Removes the file. With `expected`, only while it is still that version ('changed' leaves
   * it). On a folder the version is checked by a stat just before the remove. On S3 the
   * DeleteObject carries If-Match (AWS S3 honours it: atomic); the ETag is also checked by a
   * HEAD just before, for servers that ignore If-Match on a delete (MinIO does, as of the
   * version scripts/versions.env pins) — there a rewrite between the two calls is not seen.
   */
  async remove(uri: string, expected?: FileVersion): Promise<FileOutcome> {
    const place = placeOf(uri);
    if (expected) {
      const found = await this.versionOf(uri);
      if (!found) return 'missing';
      if (!sameVersion(found, expected)) return 'changed';
    }
    if (place.kind === 'fs') {
      await rm(place.path, { force: true });
      return 'done';
    }
    const etag = expected?.etag;
    return this.s3
      .send(new DeleteObjectCommand({ Bucket: place.bucket, Key: place.key, ...(etag ? { IfMatch: etag } : {}) }))
      .then(() => 'done' as const, (error: S3Error) => s3Outcome(error));
  }

  /** What the file at `uri` is now (size, mtime; on S3 also its ETag); undefined when it is not there. */
  async versionOf(uri: string): Promise<FileVersion | undefined> {
    const place = placeOf(uri);
    if (place.kind === 'fs') {
      return stat(place.path).then(
        (found) => ({ size: found.size, mtimeMs: Math.floor(found.mtimeMs) }),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
          throw error;
        },
      );
    }
    return this.s3.send(new HeadObjectCommand({ Bucket: place.bucket, Key: place.key })).then(
      (head) => ({ size: head.ContentLength ?? 0, ...(head.LastModified ? { mtimeMs: head.LastModified.getTime() } : {}), ...(head.ETag ? { etag: head.ETag } : {}) }),
      (error: S3Error) => {
        if (isNotFound(error)) return undefined;
        throw error;
      },
    );
  }

  async writeText(uri: string, text: string): Promise<void> {
    const place = placeOf(uri);
    if (place.kind === 'fs') {
      await mkdir(dirname(place.path), { recursive: true });
      await writeFile(place.path, text);
    } else {
      await this.s3.send(new PutObjectCommand({ Bucket: place.bucket, Key: place.key, Body: text, ContentType: 'text/plain; charset=utf-8' }));
    }
  }
}
