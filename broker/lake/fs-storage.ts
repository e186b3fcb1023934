// The lake on a file system (`file://` URIs): a local disk in development, a mounted share
// in production. Keys are '/'-separated paths below the root and never leave it. Prefixes
// match the way S3 prefixes do (plain string prefixes of keys), so that code written
// against this storage behaves the same on the S3 one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, isMissingFile, UserError } from '../core/errors.ts';
import { keySegments } from './lake-key.ts';
import type { LakeStorage, StoredObject } from './storage.ts';

/** Marks a write in progress; such files are never listed (and Spark skips names starting with "."). */
const TEMP_MARK = '.sluice-tmp-';

export function createFsStorage(rootUri: string): LakeStorage {
  if (!rootUri.startsWith('file://')) throw new ConfigError(`lake URI "${rootUri}" is not a file:// URI`);
  const root = fileURLToPath(rootUri);

  const pathOf = (key: string): string => join(root, ...keySegments(key, false));

  return {
    rootUri: pathToFileURL(root).href,

    uri: (key) => pathToFileURL(pathOf(key)).href,

    async read(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if (isMissingFile(error)) return undefined;
        throw error;
      }
    },

    async readRange(key, start, end) {
      const file = await open(pathOf(key), 'r');
      try {
        const buffer = Buffer.alloc(Math.max(0, end - start));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    },

    async write(key, body) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      // Readers see the old object or the new one whole, never a half-written file.
      const temp = join(dirname(target), `.${key.split('/').at(-1)}${TEMP_MARK}${randomBytes(6).toString('hex')}`);
      try {
        await writeFile(temp, body);
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    async list(prefix) {
      const found: StoredObject[] = [];
      await walk(root, baseKey(prefix), prefix, {
        file: async (key, path) => {
          if (key.startsWith(prefix)) found.push({ key, size: (await stat(path)).size });
        },
      });
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async delete(prefix) {
      if (prefix === '') throw new UserError('invalid-lake-key', 'refusing to delete the whole lake: the prefix is empty');
      await walk(root, baseKey(prefix), prefix, {
        // A folder whose every key matches goes in one step.
        dir: async (key, path) => {
          if (`${key}/`.startsWith(prefix)) {
            await rm(path, { recursive: true, force: true });
            return false;
          }
          return true;
        },
        file: async (key, path) => {
          if (key.startsWith(prefix)) await rm(path, { force: true });
        },
      });
    },
  };
}

/** The folder key to start a prefix search from: the prefix up to its last "/". */
function baseKey(prefix: string): string {
  keySegments(prefix, true);
  const slash = prefix.lastIndexOf('/');
  return slash < 0 ? '' : prefix.slice(0, slash);
}

type Visitor = {
  /** Returns whether to descend into the folder. */
  dir?: (key: string, path: string) => Promise<boolean>;
  file: (key: string, path: string) => Promise<void>;
};

/** Visits the folders and files below `key` that could match `prefix`. */
async function walk(root: string, key: string, prefix: string, visitor: Visitor): Promise<void> {
  const path = key === '' ? root : join(root, ...key.split('/'));
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (isMissingFile(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.includes(TEMP_MARK)) continue;
    const childKey = key === '' ? entry.name : `${key}/${entry.name}`;
    const childPath = join(path, entry.name);
    if (entry.isDirectory()) {
      // Only folders on the way to the prefix, or inside it, can hold matching keys.
      if (!prefix.startsWith(`${childKey}/`) && !`${childKey}/`.startsWith(prefix)) continue;
      if (!visitor.dir || (await visitor.dir(childKey, childPath))) await walk(root, childKey, prefix, visitor);
    } else if (entry.isFile()) {
      await visitor.file(childKey, childPath);
    }
  }
}

