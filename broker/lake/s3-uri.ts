// `s3://bucket/prefix` locations: the lake root, S3 landing roots, archive and quarantine
// locations. One parser, kept apart from the S3 client so that reading settings does not
// load the AWS SDK.
import { ConfigError } from '../core/errors.ts';
import { S3_BUCKET } from '../core/landing-config.ts';
import { keySegments } from './lake-key.ts';

/** Splits `s3://bucket/prefix` into the bucket and the prefix (no leading or trailing '/'); `what` names the setting in errors. */
export function parseS3Uri(uri: string, what = 'S3 location'): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri.trim());
  if (!match) throw new ConfigError(`${what} "${uri}" is not an s3:// URI (s3://bucket/prefix)`);
  const bucket = match[1]!;
  if (!S3_BUCKET.test(bucket)) throw new ConfigError(`${what} "${uri}": "${bucket}" is not a valid S3 bucket name`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '') {
    try {
      keySegments(prefix, false);
    } catch {
      throw new ConfigError(`${what} "${uri}": the prefix "${prefix}" has empty, "." or ".." parts`);
    }
  }
  return { bucket, prefix };
}
