// Moves, deletes and annotates landed files wherever they live: a folder or an S3 prefix,
// on either side of a move (a folder landing archived to s3://…, an S3 landing quarantined
// in s3://…). Used by the finish work; every operation is safe to repeat (a file already
// moved or deleted is left alone).
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

  async move(from: string, to: string): Promise<void> {
    if (!(await this.exists(from))) return;
    const source = placeOf(from);
    const target = placeOf(to);
    if (source.kind === 'fs' && target.kind === 'fs') {
      await mkdir(dirname(target.path), { recursive: true });
      await rename(source.path, target.path).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await copyFile(source.path, target.path);
      });
    } else if (source.kind === 's3' && target.kind === 's3') {
      await this.s3.send(new CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: `${source.bucket}/${encodeURIComponent(source.key).replace(/%2F/g, '/')}` }));
    } else if (source.kind === 'fs' && target.kind === 's3') {
      // Streamed in parts: a landing of 50 GB passes through bounded memory.
      await new Upload({ client: this.s3, params: { Bucket: target.bucket, Key: target.key, Body: createReadStream(source.path) }, partSize: 64 * 1024 * 1024, queueSize: 2 }).done();
    } else if (source.kind === 's3' && target.kind === 'fs') {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
      await mkdir(dirname(target.path), { recursive: true });
      await pipeline(object.Body as Readable, createWriteStream(target.path));
    }
    await this.remove(from);
  }

  async remove(uri: string): Promise<void> {
    const place = placeOf(uri);
    if (place.kind === 'fs') await rm(place.path, { force: true });
    else await this.s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: place.key }));
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
