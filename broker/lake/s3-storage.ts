// The lake on S3 (`s3://bucket/prefix` URIs): AWS S3 in production, MinIO in the tests and
// the demo. Keys are the same '/'-separated relative paths as on the fs storage (checked by
// lake-key.ts), stored as object keys below the prefix. Objects are written whole (a PUT or
// a completed multipart upload), so readers see the old object or the new one, never a
// part of either, as on the fs storage.
//
// Two URI schemes, on purpose: `rootUri` is the lake as configured and compared by the
// broker (`s3://bucket/prefix`); `uri(key)` is what Spark is handed, and Spark's S3
// filesystem (hadoop-aws) answers to `s3a://` only.
//
// Failures: a bad key is a UserError (before any request); everything S3 or the network
// says is an OperationalError whose message names the operation, bucket and key and the
// S3 error, never a credential. Transient failures (connection refused or reset, timeouts,
// 500/502/503/504, throttling) are first retried by the client with backoff, so an S3 or
// MinIO outage of a few seconds is ridden out inside one call; longer ones surface as
// OperationalError for the caller's own retry with backoff.
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ListObjectsV2CommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConfigError, OperationalError, UserError } from '../core/errors.ts';
import { keySegments } from './lake-key.ts';
import { parseS3Uri } from './s3-uri.ts';
import type { LakeStorage, StoredObject } from './storage.ts';

/** How to reach S3; from the SLUICE_S3_* settings. Without keys, the SDK's default chain (env, web identity, instance role) is used. */
export type S3Settings = {
  /** e.g. http://127.0.0.1:9000 for MinIO; absent for AWS S3. */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (http://host/bucket/key): MinIO needs it. */
  forcePathStyle: boolean;
};

export type RetryPolicy = {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; it doubles each retry, up to maxDelayMs, with jitter over its upper half. */
  baseDelayMs: number;
  maxDelayMs: number;
};

/**
 * 6 attempts, 0.5 s doubling to at most 8 s: the five retries wait 7.75–15.5 s in all,
 * enough for a MinIO restart or a short network cut. (The SDK's own "standard" mode waits a
 * random 0–1.55 s in all over 6 attempts, which gives up during a restart.)
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000 };

const MiB = 1024 * 1024;
/** S3's limits: parts of 5 MiB at least (but the last), 10,000 parts at most, objects of 5 TiB at most. */
const MIN_PART_SIZE = 5 * MiB;
export const MAX_PARTS = 10_000;
/** Part size for uploads of unknown size: objects up to 16 MiB × 10,000 = 156 GiB. */
export const DEFAULT_PART_SIZE = 16 * MiB;
/** Parts uploaded at once by one upload. */
export const UPLOAD_QUEUE_SIZE = 4;
/** Bodies up to this size are written with one PUT; larger ones as a multipart upload. */
const SINGLE_PUT_LIMIT = 64 * MiB;

/**
 * The part size for an upload of `size` bytes: 16 MiB, or more for objects over ~140 GiB so
 * that they fit in 9,000 parts (a margin under S3's 10,000). A 50 GB object takes 16 MiB
 * parts (2,981 of them); a 1 TiB one 117 MiB parts.
 */
export function partSizeFor(size?: number): number {
  if (size === undefined) return DEFAULT_PART_SIZE;
  return Math.max(DEFAULT_PART_SIZE, Math.ceil(size / 9_000));
}

export type UploadOptions = {
  /** The body's size in bytes when known: it picks the part size (see partSizeFor) and is checked against what was read. */
  size?: number;
  /** Overrides partSizeFor (at least 5 MiB); tests use it to make small multipart uploads. */
  partSize?: number;
};

export interface S3LakeStorage extends LakeStorage {
  readonly bucket: string;
  /** The object-key prefix of the lake root ('' for a whole bucket), without a trailing '/'. */
  readonly prefix: string;
  /**
   * Streams `body` into `key` as a multipart upload (or one PUT when it is smaller than a
   * part). Memory is bounded by about (UPLOAD_QUEUE_SIZE + 1) × part size: 4 parts in
   * flight plus the one being filled, 80 MiB with the default 16 MiB parts, whatever the
   * object's size. A failed upload is aborted, leaving no parts behind.
   */
  upload(key: string, body: Readable | Buffer, options?: UploadOptions): Promise<void>;
  /** Closes the client's connections. */
  close(): void;
}

export type S3StorageOptions = {
  retry?: RetryPolicy;
};

/**
 * An S3 client with Sluice's settings: credentials (or the default chain), path-style
 * addressing, the backoff retry strategy and the connect/request timeouts. Shared by the
 * lake and the S3 landing sources; the caller destroys it.
 */
export function createS3Client(settings: S3Settings, retry: RetryPolicy = DEFAULT_RETRY): S3Client {
  return new S3Client(clientConfig(settings, retry));
}

export function createS3Storage(uri: string, settings: S3Settings, options: S3StorageOptions = {}): S3LakeStorage {
  const { bucket, prefix } = parseS3Uri(uri, 'lake URI');
  const client = createS3Client(settings, options.retry ?? DEFAULT_RETRY);
  const secrets = [settings.accessKeyId, settings.secretAccessKey].filter((s): s is string => !!s);

  const objectKey = (key: string): string => {
    keySegments(key, false);
    return prefix === '' ? key : `${prefix}/${key}`;
  };
  const objectPrefix = (keyPrefix: string): string => {
    keySegments(keyPrefix, true);
    return prefix === '' ? keyPrefix : `${prefix}/${keyPrefix}`;
  };
  const failed = (operation: string, where: string, error: unknown): OperationalError => {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    let detail = `${name}: ${message}`;
    // S3 error messages do not carry the secret (it never leaves the client), but some
    // echo the access key id; neither goes into a message that is logged and shown.
    for (const secret of secrets) detail = detail.split(secret).join('***');
    return new OperationalError(`S3 ${operation} of s3://${bucket}/${where} failed: ${detail}`, { cause: error });
  };

  /** Each page of the listing under a full object-key prefix. */
  async function* pages(fullPrefix: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: fullPrefix, ContinuationToken: token }));
      } catch (error) {
        throw failed('listing', fullPrefix, error);
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  const storage: S3LakeStorage = {
    bucket,
    prefix,
    rootUri: prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`,

    uri: (key) => `s3a://${bucket}/${objectKey(key)}`,

    async read(key) {
      const full = objectKey(key);
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full }));
        if (!response.Body) return Buffer.alloc(0);
        return Buffer.from(await response.Body.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw failed('read', full, error);
      }
    },

    async readRange(key, start, end) {
      const full = objectKey(key);
      if (end <= start) return Buffer.alloc(0);
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full, Range: `bytes=${start}-${end - 1}` }));
        return response.Body ? Buffer.from(await response.Body.transformToByteArray()) : Buffer.alloc(0);
      } catch (error) {
        throw failed('read', full, error);
      }
    },

    async write(key, body) {
      const full = objectKey(key);
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      if (bytes.length > SINGLE_PUT_LIMIT) return storage.upload(key, bytes, { size: bytes.length });
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: full, Body: bytes, ContentLength: bytes.length }));
      } catch (error) {
        throw failed('write', full, error);
      }
    },

    async upload(key, body, uploadOptions = {}) {
      const full = objectKey(key);
      const partSize = uploadOptions.partSize ?? partSizeFor(uploadOptions.size);
      if (partSize < MIN_PART_SIZE) throw new UserError('invalid-part-size', `part size ${partSize} is under S3's minimum of ${MIN_PART_SIZE} bytes`);
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: full, Body: body, ContentLength: uploadOptions.size },
        partSize,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        throw failed('upload', full, error);
      }
    },

    async list(keyPrefix) {
      const full = objectPrefix(keyPrefix);
      const strip = prefix === '' ? 0 : prefix.length + 1;
      const found: StoredObject[] = [];
      for await (const page of pages(full)) {
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) found.push({ key: object.Key.slice(strip), size: object.Size ?? 0 });
        }
      }
      // The fs storage's order (UTF-16 code units); S3 lists in UTF-8 byte order.
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async delete(keyPrefix) {
      if (keyPrefix === '') throw new UserError('invalid-lake-key', 'refusing to delete the whole lake: the prefix is empty');
      const full = objectPrefix(keyPrefix);
      // A listing page holds at most 1,000 keys, DeleteObjects' limit: one batch per page.
      for await (const page of pages(full)) {
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
        if (keys.length === 0) continue;
        let errors;
        try {
          ({ Errors: errors } = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })));
        } catch (error) {
          throw failed('delete', full, error);
        }
        if (errors && errors.length > 0) {
          const first = errors[0]!;
          throw failed('delete', full, new Error(`${errors.length} object(s) not deleted, first ${first.Key}: ${first.Code} ${first.Message}`));
        }
      }
    },

    close: () => client.destroy(),
  };
  return storage;
}

function clientConfig(settings: S3Settings, retry: RetryPolicy): S3ClientConfig {
  const { accessKeyId, secretAccessKey } = settings;
  if (!accessKeyId !== !secretAccessKey) {
    throw new ConfigError('S3 settings: give both the access key id and the secret access key, or neither (to use the default credential chain)');
  }
  return {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: retry.maxAttempts,
    retryStrategy: backoffRetryStrategy(retry),
    // Connecting is quick or hopeless; a socket idle for two minutes means a hung server.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  };
}

type RetryStrategyV2 = Extract<NonNullable<S3ClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;

/**
 * The SDK's standard retry rules (retry transient errors and throttling, up to maxAttempts)
 * with a longer exponential backoff than its own, which is tuned for AWS's fleet rather
 * than for one server coming back. The SDK classifies each error before calling this.
 */
export function backoffRetryStrategy(policy: RetryPolicy): RetryStrategyV2 {
  const token = (retryCount: number, delayMs: number): RetryToken => ({ getRetryCount: () => retryCount, getRetryDelay: () => delayMs });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous, errorInfo) => {
      const retries = previous.getRetryCount();
      const retryable = errorInfo.errorType === 'TRANSIENT' || errorInfo.errorType === 'THROTTLING';
      if (!retryable || retries + 1 >= policy.maxAttempts) throw new Error('no retry: not retryable or out of attempts');
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retries);
      return token(retries + 1, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
    },
    recordSuccess: () => undefined,
  };
}
