// Opens the lake named by its URI: `file://` on a file system, `s3://` on S3 (or MinIO).
// cli.ts calls it with the lake URI and the S3 settings from config.ts; nothing else
// chooses a storage.
import { ConfigError } from '../core/errors.ts';
import { createFsStorage } from './fs-storage.ts';
import { createS3Storage, type S3Settings } from './s3-storage.ts';
import type { LakeStorage } from './storage.ts';

export function openLake(uri: string, s3Settings: S3Settings): LakeStorage {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'file':
      return createFsStorage(uri);
    case 's3':
      return createS3Storage(uri, s3Settings);
    case 's3a':
      throw new ConfigError(`lake URI "${uri}": write the lake as s3://… (Sluice hands Spark the s3a:// form itself)`);
    default:
      throw new ConfigError(`lake URI "${uri}" is neither file:// nor s3://`);
  }
}
