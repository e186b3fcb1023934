import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { confineInputs, expandInputs, s3LandingRoots } from './input-paths.ts';

function refusal(run: () => unknown): UserError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(UserError);
  const error = thrown as UserError;
  expect(error.status).toBe(422);
  expect(error.code).toBe('input-outside-roots');
  return error;
}

describe('confineInputs', () => {
  const roots = ['/data/landing', '/data/other'];

  it('resolves relative inputs against the first root', () => {
    expect(confineInputs(['meter-readings', './a/b.parquet', 'a/../c.parquet'], roots)).toEqual([
      '/data/landing/meter-readings',
      '/data/landing/a/b.parquet',
      '/data/landing/c.parquet',
    ]);
  });

  it('accepts absolute inputs under any root, and a root itself', () => {
    expect(confineInputs(['/data/other/x.parquet', '/data/landing'], roots)).toEqual(['/data/other/x.parquet', '/data/landing']);
  });

  it('folds an input named twice, in any spelling, into one at its first place', () => {
    expect(
      confineInputs(['b.parquet', '/data/landing/a.parquet', './b.parquet', 'file:///data/landing/a.parquet', '/data/landing/', '/data/landing', 's3://landing/k.parquet', 's3://landing/k.parquet'], roots, 'inputs', [
        { bucket: 'landing', prefix: '' },
      ]),
    ).toEqual(['/data/landing/b.parquet', '/data/landing/a.parquet', '/data/landing', 's3://landing/k.parquet']);
  });

  it('refuses a ../ escape, with the path inputs.N', () => {
    const error = refusal(() => confineInputs(['ok.parquet', '../secrets/x.parquet'], roots));
    expect(error.details).toEqual([{ path: 'inputs.1', message: expect.stringContaining('"../secrets/x.parquet"') }]);
  });

  it('refuses an absolute path outside the roots, and a sibling that only shares a prefix', () => {
    const error = refusal(() => confineInputs(['/etc/passwd', '/data/landing-evil/x.parquet', '/data'], roots));
    expect(error.details.map((detail) => detail.path)).toEqual(['inputs.0', 'inputs.1', 'inputs.2']);
  });

  it('accepts a name that merely starts with two dots', () => {
    expect(confineInputs(['..hidden.parquet'], roots)).toEqual(['/data/landing/..hidden.parquet']);
  });

  it('uses the field name it is given in the paths', () => {
    const error = refusal(() => confineInputs(['/etc'], roots, 'input.paths'));
    expect(error.details[0]?.path).toBe('input.paths.0');
  });

  it('reads file:// URIs as local paths, decoding escapes', () => {
    expect(confineInputs(['file:///data/landing/a.parquet', 'file:///data/landing/my%20file.parquet'], roots)).toEqual([
      '/data/landing/a.parquet',
      '/data/landing/my file.parquet',
    ]);
  });

  it('refuses a file:// URI outside the roots or on another host', () => {
    const error = refusal(() => confineInputs(['file:///etc/passwd', 'file:///data/landing/../../etc/passwd', 'file://evil.example/data/landing/a.parquet'], roots));
    expect(error.details.map((detail) => detail.path)).toEqual(['inputs.0', 'inputs.1', 'inputs.2']);
  });

  it('refuses everything when there are no roots', () => {
    expect(refusal(() => confineInputs(['a.parquet'], [])).details).toHaveLength(1);
  });
});

describe('confineInputs with s3:// inputs', () => {
  const roots = ['/data/landing'];
  const s3Roots = s3LandingRoots([{ sources: [{ kind: 'fs' }, { kind: 's3', bucket: 'landing', prefix: 'harp/' }] }], [{ bucket: 'inbox', prefix: 'in/' }]);

  it('keeps objects under the pipelines\' s3 sources and the configured S3 roots as given, beside local inputs', () => {
    expect(confineInputs(['s3://landing/harp/2024/a.parquet', 'a.parquet', 's3://inbox/in/b.parquet'], roots, 'inputs', s3Roots)).toEqual([
      's3://landing/harp/2024/a.parquet',
      '/data/landing/a.parquet',
      's3://inbox/in/b.parquet',
    ]);
  });

  it('refuses objects outside the S3 roots, with a field path per input', () => {
    const error = refusal(() =>
      confineInputs(['s3://landing/harp/ok.parquet', 's3://landing/other/x.parquet', 's3://elsewhere/harp/x.parquet', 's3://inbox/in-evil/x.parquet'], roots, 'inputs', s3Roots),
    );
    expect(error.details.map((detail) => detail.path)).toEqual(['inputs.1', 'inputs.2', 'inputs.3']);
    expect(error.details[0]!.message).toContain('outside the S3 landing roots');
  });

  it('refuses S3 folders, dot segments, s3a:// and bad buckets, saying why', () => {
    const error = refusal(() =>
      confineInputs(['s3://landing/harp/', 's3://landing', 's3://landing/harp/../secret.parquet', 's3a://landing/harp/a.parquet', 's3://Bad_Bucket/harp/a.parquet'], roots, 'inputs', s3Roots),
    );
    expect(error.details.map((detail) => detail.message)).toEqual([
      expect.stringContaining('names an S3 folder'),
      expect.stringContaining('names an S3 folder'),
      expect.stringContaining('".." part'),
      expect.stringContaining('write S3 inputs as s3://bucket/key'),
      expect.stringContaining('not an s3://bucket/key URI'),
    ]);
  });

  it('refuses every s3:// input when no S3 root is configured', () => {
    expect(refusal(() => confineInputs(['s3://landing/harp/a.parquet'], roots)).details).toHaveLength(1);
  });
});

describe('expandInputs', () => {
  let base: string;
  let root: string;
  let outside: string;

  const touch = async (path: string) => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, 'PAR1');
  };

  beforeEach(async () => {
    // realpath: on some systems the temporary folder is itself behind a symlink.
    base = await realpath(await mkdtemp(join(tmpdir(), 'sluice-inputs-')));
    root = join(base, 'landing');
    outside = join(base, 'outside');
    await mkdir(root);
    await mkdir(outside);
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('expands a folder to the sorted *.parquet files below it, at any depth', async () => {
    await touch(join(root, 'readings/day=2/b.parquet'));
    await touch(join(root, 'readings/day=1/z.parquet'));
    await touch(join(root, 'readings/a.parquet'));
    await touch(join(root, 'readings/notes.csv'));
    expect(await expandInputs([join(root, 'readings')], [root])).toEqual([
      join(root, 'readings/a.parquet'),
      join(root, 'readings/day=1/z.parquet'),
      join(root, 'readings/day=2/b.parquet'),
    ]);
  });

  it('skips hidden and underscore files, and files in hidden or underscore folders', async () => {
    await touch(join(root, 'r/kept.parquet'));
    await touch(join(root, 'r/.hidden.parquet'));
    await touch(join(root, 'r/_SUCCESS.parquet'));
    await touch(join(root, 'r/_temporary/0/part-0.parquet'));
    await touch(join(root, 'r/.staging/part-1.parquet'));
    expect(await expandInputs([join(root, 'r')], [root])).toEqual([join(root, 'r/kept.parquet')]);
  });

  it('expands a folder named explicitly even if its own name starts with "_"', async () => {
    await touch(join(root, '_batch/a.parquet'));
    expect(await expandInputs([join(root, '_batch')], [root])).toEqual([join(root, '_batch/a.parquet')]);
  });

  it('keeps a file as named, in the order given', async () => {
    await touch(join(root, 'b.parquet'));
    await touch(join(root, 'a.parquet'));
    expect(await expandInputs([join(root, 'b.parquet'), join(root, 'a.parquet')], [root])).toEqual([join(root, 'b.parquet'), join(root, 'a.parquet')]);
  });

  it('reads a file named twice (itself and through its folder) once', async () => {
    await touch(join(root, 'r/a.parquet'));
    await touch(join(root, 'r/b.parquet'));
    expect(await expandInputs([join(root, 'r/a.parquet'), join(root, 'r')], [root])).toEqual([join(root, 'r/a.parquet'), join(root, 'r/b.parquet')]);
  });

  it('keeps s3:// objects as they are, among local files', async () => {
    await touch(join(root, 'a.parquet'));
    expect(await expandInputs(['s3://landing/harp/x.parquet', join(root, 'a.parquet'), 's3://landing/harp/x.parquet'], [root])).toEqual([
      's3://landing/harp/x.parquet',
      join(root, 'a.parquet'),
    ]);
  });

  it('keeps a path that does not exist, for the Spark app to report', async () => {
    const missing = join(root, 'not-yet.parquet');
    expect(await expandInputs([missing], [root])).toEqual([missing]);
  });

  it('expands an empty folder to nothing', async () => {
    await mkdir(join(root, 'empty'));
    expect(await expandInputs([join(root, 'empty')], [root])).toEqual([]);
  });

  it('refuses a symlink that leads outside the roots', async () => {
    await touch(join(outside, 'secret.parquet'));
    await symlink(join(outside, 'secret.parquet'), join(root, 'link.parquet'));
    await symlink(outside, join(root, 'linked-folder'));
    for (const path of [join(root, 'link.parquet'), join(root, 'linked-folder')]) {
      const error = await expandInputs([path], [root]).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({ status: 422, code: 'input-outside-roots' });
      expect((error as Error).message).toContain(path);
    }
  });

  it('follows a symlink that stays inside the roots', async () => {
    await touch(join(root, 'real/a.parquet'));
    await symlink(join(root, 'real'), join(root, 'alias'));
    expect(await expandInputs([join(root, 'alias')], [root])).toEqual([join(root, 'real/a.parquet')]);
  });

  it('refuses a symlink found inside an expanded folder that leads outside the roots, or nowhere, naming it', async () => {
    await touch(join(outside, 'secret.parquet'));
    await touch(join(root, 'r/a.parquet'));
    await touch(join(root, 's/a.parquet'));
    await touch(join(root, 't/a.parquet'));
    await symlink(join(outside, 'secret.parquet'), join(root, 'r/secret.parquet'));
    await symlink(outside, join(root, 's/out'));
    await symlink(join(root, 'gone.parquet'), join(root, 't/gone.parquet'));
    await expect(expandInputs([join(root, 'r')], [root])).rejects.toMatchObject({ code: 'input-outside-roots', message: expect.stringContaining(join(root, 'r/secret.parquet')) });
    await expect(expandInputs([join(root, 's')], [root])).rejects.toMatchObject({ code: 'input-outside-roots', message: expect.stringContaining(join(root, 's/out')) });
    await expect(expandInputs([join(root, 't')], [root])).rejects.toMatchObject({ code: 'input-broken-link', message: expect.stringContaining(join(root, 't/gone.parquet')) });
  });

  it('reads the files that symlinks inside an expanded folder lead to within the roots, each once, through loops', async () => {
    await touch(join(root, 'day/a.parquet'));
    await touch(join(root, 'other/d.parquet'));
    await symlink(join(root, 'day/a.parquet'), join(root, 'day/c.parquet'));
    await symlink(join(root, 'other'), join(root, 'day/sub'));
    await symlink(join(root, 'day'), join(root, 'other/back'));
    expect(await expandInputs([join(root, 'day')], [root])).toEqual([join(root, 'day/a.parquet'), join(root, 'other/d.parquet')]);
  });

  it('accepts roots given through a symlink', async () => {
    const alias = join(base, 'landing-alias');
    await symlink(root, alias);
    await touch(join(root, 'a.parquet'));
    expect(await expandInputs([join(alias, 'a.parquet')], [alias])).toEqual([join(root, 'a.parquet')]);
  });
});

describe('a missing input below a symlinked folder', () => {
  it('is refused when the folder leads outside the roots', async () => {
    const base = await mkdtemp(join(tmpdir(), 'sluice-ancestor-'));
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await symlink(outside, join(root, 'escape'));
    await expect(expandInputs([join(root, 'escape', 'later.parquet')], [root])).rejects.toThrow(/outside the landing roots/);
    await expect(expandInputs([join(root, 'inside', 'later.parquet')], [root])).resolves.toEqual([join(root, 'inside', 'later.parquet')]);
  });
});
