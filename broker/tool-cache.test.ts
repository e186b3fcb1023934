// The tool cache's paths follow scripts/setup's rule, and a versions file without a pin is a
// configuration error naming the file (the broker cannot know which jars to pass to Spark).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './core/errors.ts';
import { s3aJarPaths } from './tool-cache.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tool-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('tool cache', () => {
  it('names the S3A jars under XDG_CACHE_HOME (or ~/.cache) at the pinned versions', async () => {
    const file = join(dir, 'versions.env');
    await writeFile(file, '# pins\nHADOOP_AWS_VERSION=3.4.1\n\nAWS_SDK_BUNDLE_VERSION=2.24.6\n');
    expect(s3aJarPaths({ XDG_CACHE_HOME: '/c', HOME: '/h' }, file)).toEqual([
      '/c/sluice/jars-hadoop-aws-3.4.1-awssdk-2.24.6/hadoop-aws-3.4.1.jar',
      '/c/sluice/jars-hadoop-aws-3.4.1-awssdk-2.24.6/bundle-2.24.6.jar',
    ]);
    expect(s3aJarPaths({ XDG_CACHE_HOME: '', HOME: '/h' }, file)[0]).toBe('/h/.cache/sluice/jars-hadoop-aws-3.4.1-awssdk-2.24.6/hadoop-aws-3.4.1.jar');
  });

  it('says which file lacks a pin, as a configuration error', async () => {
    const file = join(dir, 'versions.env');
    await writeFile(file, 'HADOOP_AWS_VERSION=3.4.1\n');
    expect(() => s3aJarPaths({ HOME: '/h' }, file)).toThrow(ConfigError);
    expect(() => s3aJarPaths({ HOME: '/h' }, file)).toThrow(`${file} has no AWS_SDK_BUNDLE_VERSION= line`);
  });
});
