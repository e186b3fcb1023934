// The folder watcher on a real folder: one watch per folder, none per file; files found by a
// listing and by events; deletions of files and of whole folders; symlink loops end; a symlinked
// folder out of the root is refused, neither listed nor watched; an entry that cannot be stat-ed
// stops nothing; a folder deleted or moved and made again is watched again.
import { mkdirSync, renameSync, rmSync, type Stats } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../test/harness/wait-for.ts';
import { FolderWatcher } from './folder-watcher.ts';

let root: string;
let watcher: FolderWatcher | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-folder-watcher-'));
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await rm(root, { recursive: true, force: true });
});

type Heard = { files: Array<{ path: string; size: number }>; gone: Array<{ path: string; folder: boolean }>; problems: string[]; refused: string[] };

function startWatcher(native = true): Heard {
  const heard: Heard = { files: [], gone: [], problems: [], refused: [] };
  watcher = new FolderWatcher({
    root,
    native,
    ignored: (path) => basename(path).startsWith('.'),
    listener: {
      file: (path: string, stats: Stats) => heard.files.push({ path: relative(root, path), size: stats.size }),
      gone: (path: string, folder: boolean) => heard.gone.push({ path: relative(root, path), folder }),
      problem: (path: string, error: Error) => heard.problems.push(`${relative(root, path)}: ${error.message}`),
      refused: (path: string, reason: string) => heard.refused.push(`${relative(root, path)}: ${reason}`),
    },
  });
  return heard;
}

/** Waits (5 s at most, looking every 20 ms) until what the watcher reported satisfies `check`. */
const until = (what: string, check: () => boolean): Promise<true> => waitFor(what, async () => check() || undefined, 5_000, 20);

describe('folder watcher', () => {
  it('lists every file under the root and watches each folder once, no file', async () => {
    for (const folder of ['a', 'b', 'a/deep', '.hidden']) await mkdir(join(root, folder), { recursive: true });
    for (const file of ['top.parquet', 'a/1.parquet', 'a/2.parquet', 'b/3.parquet', 'a/deep/4.parquet', '.hidden/5.parquet', 'a/.6.parquet']) await writeFile(join(root, file), file);
    const heard = startWatcher();
    expect((await watcher!.list()).complete).toBe(true);
    expect(heard.files.map((file) => file.path).sort()).toEqual(['a/1.parquet', 'a/2.parquet', 'a/deep/4.parquet', 'b/3.parquet', 'top.parquet']);
    expect(watcher!.watchedFolders).toBe(4);
  });

  it('reports files created, written and deleted, and folders made and removed', async () => {
    const heard = startWatcher();
    await watcher!.list();
    await writeFile(join(root, 'new.parquet'), 'one');
    await until('the new file', () => heard.files.some((file) => file.path === 'new.parquet'));
    await appendFile(join(root, 'new.parquet'), ' two');
    await until('the write', () => heard.files.some((file) => file.path === 'new.parquet' && file.size === 7));
    await rename(join(root, 'new.parquet'), join(root, 'moved.parquet'));
    await until('the rename', () => heard.gone.some((gone) => gone.path === 'new.parquet') && heard.files.some((file) => file.path === 'moved.parquet'));
    expect(heard.gone.find((gone) => gone.path === 'new.parquet')?.folder).toBe(false);

    // A folder made with files already in it (as a move into the root does) is listed whole, then watched.
    const staging = await mkdtemp(join(tmpdir(), 'sluice-folder-watcher-staging-'));
    await mkdir(join(staging, 'inner'));
    await writeFile(join(staging, 'inner', 'x.parquet'), 'x');
    await rename(staging, join(root, 'run-1'));
    await until('the moved-in folder', () => heard.files.some((file) => file.path === 'run-1/inner/x.parquet'));
    await writeFile(join(root, 'run-1', 'inner', 'y.parquet'), 'y');
    await until('a file in the new folder', () => heard.files.some((file) => file.path === 'run-1/inner/y.parquet'));
    expect(watcher!.watchedFolders).toBe(3);

    await rm(join(root, 'run-1'), { recursive: true });
    await until('the removed folder', () => heard.gone.some((gone) => gone.path === 'run-1' && gone.folder));
    expect(watcher!.watchedFolders).toBe(1);
    expect(heard.problems).toEqual([]);
  });

  it('ends a symlink loop, and does not list a folder twice through an alias inside the root', async () => {
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', '1.parquet'), '1');
    await symlink(join(root, 'a'), join(root, 'a', 'loop'));
    await symlink(join(root, 'a'), join(root, 'alias'));
    const heard = startWatcher();
    expect((await watcher!.list()).complete).toBe(true);
    expect(heard.files.map((file) => file.path)).toEqual(['a/1.parquet']);
  });

  // `ln -s / root/x` must not have every rescan list (and watch) the whole disk.
  it.each([
    { mode: 'native watches', native: true },
    { mode: 'polling', native: false },
  ])('neither lists nor watches a symlinked folder that leads out of the root, and says so at each listing ($mode)', async ({ native }) => {
    const outside = await mkdtemp(join(tmpdir(), 'sluice-folder-watcher-outside-'));
    try {
      await mkdir(join(outside, 'deep'));
      await writeFile(join(outside, 'secret.parquet'), 's');
      await writeFile(join(outside, 'deep', 'deeper.parquet'), 'd');
      await mkdir(join(root, 'a'));
      await writeFile(join(root, 'a', '1.parquet'), '1');
      await symlink(outside, join(root, 'a', 'out'));
      const heard = startWatcher(native);
      // Its files are not the source's: none is hidden, so the listing is whole.
      expect((await watcher!.list()).complete).toBe(true);
      expect(heard.files.map((file) => file.path)).toEqual(['a/1.parquet']);
      expect(heard.refused).toEqual(['a/out: symlinked folder leads outside the source root']);
      // The root and a; with the link followed, out and out/deep too.
      expect(watcher!.watchedFolders).toBe(native ? 2 : 0);
      expect((await watcher!.list()).complete).toBe(true);
      expect(heard.refused).toHaveLength(2);
      if (native) {
        // Made after the listing: the event's look-up refuses it the same way.
        await symlink(outside, join(root, 'later'));
        await until('the later link to be refused', () => heard.refused.includes('later: symlinked folder leads outside the source root'));
        await writeFile(join(outside, 'new.parquet'), 'n');
        await writeFile(join(root, 'a', 'after.parquet'), 'a');
        await until('a file written inside after it', () => heard.files.some((file) => file.path === 'a/after.parquet'));
        expect(watcher!.watchedFolders).toBe(2);
      }
      expect(new Set(heard.files.map((file) => file.path))).toEqual(new Set(native ? ['a/1.parquet', 'a/after.parquet'] : ['a/1.parquet']));
      expect(heard.problems).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('sets no native watch on a network mount (polling): each listing finds what changed', async () => {
    await writeFile(join(root, 'a.parquet'), 'a');
    const heard = startWatcher(false);
    await watcher!.list();
    expect(watcher!.watchedFolders).toBe(0);
    await writeFile(join(root, 'b.parquet'), 'b');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard.files.map((file) => file.path)).toEqual(['a.parquet']);
    await watcher!.list();
    expect(heard.files.map((file) => file.path).sort()).toEqual(['a.parquet', 'a.parquet', 'b.parquet']);
  });

  // `ln -s loop loop`: stat fails with ELOOP, as it fails with ESTALE or EIO on a sick mount.
  it.each([
    { mode: 'native watches', native: true },
    { mode: 'polling', native: false },
  ])('lists the rest of the tree around an entry that cannot be stat-ed, and says which ($mode)', async ({ native }) => {
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', 'good.parquet'), 'g');
    await writeFile(join(root, 'z.parquet'), 'z');
    await symlink('loop', join(root, 'a', 'loop'));
    await mkdir(join(root, 'b'));
    await writeFile(join(root, 'b', 'after.parquet'), 'b');
    const heard = startWatcher(native);
    // A loop leads to no file: nothing is hidden, so the listing is whole.
    expect((await watcher!.list()).complete).toBe(true);
    expect(heard.files.map((file) => file.path).sort()).toEqual(['a/good.parquet', 'b/after.parquet', 'z.parquet']);
    expect(heard.problems).toHaveLength(1);
    expect(heard.problems[0]).toMatch(/^a\/loop: ELOOP/);
    if (native) {
      await writeFile(join(root, 'a', 'new.parquet'), 'n');
      await until('a file written after the listing', () => heard.files.some((file) => file.path === 'a/new.parquet'));
    }
  });

  // A file on a sick mount (EIO, ESTALE) or one the watcher may not read (EACCES) cannot be
  // stat-ed and may be a landing; as root, a link to a name too long (ENAMETOOLONG) stands in.
  it('names what an entry that cannot be stat-ed may hide: itself, not the rest of the tree', async () => {
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', 'good.parquet'), 'g');
    await symlink('n'.repeat(300), join(root, 'a', 'sick.parquet'));
    const heard = startWatcher();
    const listing = await watcher!.list();
    expect(heard.problems).toHaveLength(1);
    expect(heard.problems[0]).toMatch(/^a\/sick.parquet: ENAMETOOLONG/);
    expect(listing.complete).toBe(false);
    expect(listing.mayHaveMissed(join(root, 'a', 'sick.parquet'))).toBe(true);
    expect(listing.mayHaveMissed(join(root, 'a', 'good.parquet'))).toBe(false);
    expect(listing.mayHaveMissed(join(root, 'a', 'gone.parquet'))).toBe(false);
    expect(listing.mayHaveMissed(join(root, 'a', 'sick.parquet.old'))).toBe(false);
  });
});

// The 5-minute rescan must not be what finds these files: every wait below is 5 s at most, and
// nothing calls list() again.
describe('folder watcher, a folder made again under the same name', () => {
  it.each([
    // ext4 gives the new folder the old one's inode number at once: only the old watch's last
    // event (the folder itself gone) tells them apart.
    { how: 'rm -rf a && mkdir a', replace: () => (rmSync(join(root, 'a'), { recursive: true }), mkdirSync(join(root, 'a'))), watched: 2 },
    // a.old is a folder new to the root: listed and watched under its own name.
    { how: 'mv a a.old && mkdir a', replace: () => (renameSync(join(root, 'a'), join(root, 'a.old')), mkdirSync(join(root, 'a'))), watched: 3 },
  ])('watches the new folder after $how within one look-up round', async ({ replace, watched }) => {
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', 'old.parquet'), 'o');
    const heard = startWatcher();
    await watcher!.list();
    // Synchronous: no look-up runs between the two.
    replace();
    await writeFile(join(root, 'a', 'new.parquet'), 'n');
    await until('a file in the new folder', () => heard.files.some((file) => file.path === 'a/new.parquet'));
    await writeFile(join(root, 'a', 'newer.parquet'), 'n');
    await until('a second file in the new folder', () => heard.files.some((file) => file.path === 'a/newer.parquet'));
    expect(watcher!.watchedFolders).toBe(watched);
    expect(heard.problems).toEqual([]);
  });

  it('does not report what lands in a moved-away folder under its old name', async () => {
    await mkdir(join(root, 'a'));
    const heard = startWatcher();
    await watcher!.list();
    renameSync(join(root, 'a'), join(root, 'a.old'));
    mkdirSync(join(root, 'a'));
    await writeFile(join(root, 'a', 'marker.parquet'), 'm');
    await until('the new folder to be watched', () => heard.files.some((file) => file.path === 'a/marker.parquet'));
    await writeFile(join(root, 'a.old', 'late.parquet'), 'l');
    await until('the file in the moved folder', () => heard.files.some((file) => file.path === 'a.old/late.parquet'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...heard.files.map((file) => file.path), ...heard.gone.map((gone) => gone.path)]).not.toContain('a/late.parquet');
  });

  it('watches the root again when it is made again at once', async () => {
    await writeFile(join(root, 'old.parquet'), 'o');
    const heard = startWatcher();
    await watcher!.list();
    rmSync(root, { recursive: true });
    mkdirSync(root);
    await writeFile(join(root, 'top.parquet'), 't');
    await until('a file in the new root', () => heard.files.some((file) => file.path === 'top.parquet'));
  });

  it('watches the root again at the next listing when it was made again later', async () => {
    const heard = startWatcher();
    await watcher!.list();
    await rm(root, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await mkdir(root);
    expect((await watcher!.list()).complete).toBe(true);
    await writeFile(join(root, 'top.parquet'), 't');
    await until('a file in the new root', () => heard.files.some((file) => file.path === 'top.parquet'));
  });
});
