// Keeps one native watch per folder under a root, and none per file: the kernel already
// reports, on a folder's watch, every file created, written, touched, renamed or deleted in
// it. 100,000 files in 100 folders cost 100 watches, where a watch per file cost 100,000
// (each an inotify descriptor, a handle and its listeners: most of the watcher's memory).
//
//   fs.watch(folder) ──► name changed ──► (gathered for COALESCE_MS) ──► stat ─┬─ file ──► listener.file
//                                                                            ├─ folder ──► watch it, list it
//                                                                            └─ gone ──► listener.gone
//
// A folder deleted or moved away and made again under the same name is another folder, which
// the old watch does not hear (or hears under the old name, when it was moved). A look-up or a
// listing that finds another device and inode there forgets the old one and all under it
// (listener.gone), then watches and lists the new one; so does a look-up asked by the old
// watch's last event, as the new folder may have the old one's inode number.
//
// A symlinked folder is never followed: one that stays inside the root is an alias of a
// folder listed under its own path, and one that leads out of it (`ln -s / root/x`) would have
// every rescan list, and the watcher watch, a tree that is not the source's (the whole disk,
// another pipeline's landing root) only for the source to refuse its files one by one. It is
// reported instead (listener.refused), once per listing that meets it. A symlinked file is
// the caller's to confine, when it reads the file.
//
// Nothing is kept per file: what a file was is the caller's to remember (known-paths.ts).
// list() reads the whole tree, streaming each folder's entries; the caller runs it at start,
// on every rescan, and, on a network mount (native: false, where the kernel sees no remote
// writes), every polling interval instead of any native watch.
import { statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { inParallel } from '../broker/in-parallel.ts';
import { isInside } from '../broker/jobs/input-paths.ts';

/** Told what the watch and the listings find; called synchronously, in the order found. */
export interface FolderWatcherListener {
  /** A file (or a symlink to one) found by a listing, or reported changed. */
  file(absolute: string, stats: Stats): void;
  /** A path reported changed that is no longer there; `folder` when it was a watched folder (all under it went too). */
  gone(absolute: string, folder: boolean): void;
  /** A folder that could not be watched or read, or an entry that could not be stat-ed; the rest is still listed, and its files are found by the next listing that can read it. */
  problem(absolute: string, error: Error): void;
  /** A symlinked folder that leads out of the root: neither listed nor watched; said by every listing (and look-up) that meets it. */
  refused(absolute: string, reason: string): void;
}

/** What a listing could not see: files at or under a path it could not read went unreported. */
export type Listing = {
  complete: boolean;
  /** Whether the file at `absolute` may exist although the listing did not report it. */
  mayHaveMissed(absolute: string): boolean;
};

export type FolderWatcherOptions = {
  root: string;
  /** false on a network mount: no native watches; the caller calls list() every polling interval. */
  native: boolean;
  /** Paths never looked at (hidden folders, names the source excludes); stats are given for files. */
  ignored: (absolute: string, stats?: Stats) => boolean;
  listener: FolderWatcherListener;
  /** Stat calls in flight at once. */
  concurrency?: number;
};

/**
 * Events are gathered this long before the paths are looked at: a file being written fires
 * an event per write, and one stat per burst is enough. Short beside any quiet period.
 */
const COALESCE_MS = 20;
/**
 * Entries of one folder stat-ed per round: a folder of 100,000 files is read a slice at a
 * time. On a local disk (native watches) a round's stats are synchronous, which spares the
 * thread pool's round trip per file: a rescan of 100,000 files took 0.83 s of CPU so, 3.5 s
 * before (measured while writing this); 64 stats of cached inodes block the loop briefly.
 * On a network mount, where one stat may wait on the server, they go through the thread
 * pool, `concurrency` at a time.
 */
const ENTRIES_PER_ROUND = 64;

/** A watched folder: its native watch (undefined once lost or when it could not be set), its real path and identity. */
type Folder = { watch: FSWatcher | undefined; real: string; dev: number; ino: number };

const sameFolder = (folder: Folder, stats: Stats): boolean => folder.dev === stats.dev && folder.ino === stats.ino;

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
const isGoneError = (error: unknown): boolean => codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
const isDeniedError = (error: unknown): boolean => codeOf(error) === 'EACCES' || codeOf(error) === 'EPERM';
/** A symlink loop (`ln -s loop loop`): it leads to no file, so it hides none. */
const isLoopError = (error: unknown): boolean => codeOf(error) === 'ELOOP';
const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
const OUTSIDE_ROOT = 'symlinked folder leads outside the source root';

export class FolderWatcher {
  /** Files the last whole listing reported (the watcher's health shows it). */
  filesListed = 0;
  private listing = 0;
  /** Absolute folder path → its watch. Sized by folders, not files. */
  private readonly folders = new Map<string, Folder>();
  /** Paths reported changed since the last look: bounded by what arrives in COALESCE_MS. */
  private changed = new Set<string>();
  /** Folders whose watch could not say what changed in them (its queue overflowed): listed again. */
  private relist = new Set<string>();
  /** Folders whose own watch reported their name: maybe deleted or moved away, the watch with them. */
  private itself = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private realRoot = '';
  private closed = false;
  private readonly concurrency: number;

  constructor(private readonly options: FolderWatcherOptions) {
    this.concurrency = options.concurrency ?? 16;
  }

  /** How many folders have a native watch (for logs and tests). */
  get watchedFolders(): number {
    let watched = 0;
    for (const folder of this.folders.values()) if (folder.watch) watched += 1;
    return watched;
  }

  /**
   * Reads the whole tree, reporting every file; with native watches, watches every folder
   * not yet watched before reading it, so a file created meanwhile is reported either way.
   * Resolves to the listing's gaps: a folder or entry that could not be read went unreported,
   * with every file under it, so the caller must not take their absence as deleted. The rest
   * of the tree was listed all the same.
   */
  async list(): Promise<Listing> {
    this.realRoot = await realpath(this.options.root);
    this.listing = 0;
    const unread = await this.walk(this.options.root, new Set(), false);
    this.filesListed = this.listing;
    return {
      complete: unread.length === 0,
      mayHaveMissed: (path) => unread.some((gap) => isInside(gap, path)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const folder of this.folders.values()) folder.watch?.close();
    this.folders.clear();
    await this.looking;
  }

  /**
   * Lists `dir` and the folders under it. `seen`: real paths this walk has listed, so a
   * symlink loop ends. A symlinked folder (`linked`) is not followed: one that leads out of
   * the root is refused (see the header), one that stays inside is an alias of a folder
   * listed under its own path, whose files would come twice. Returns the folders and entries
   * under `dir` that could not be read and may hide files (none when the listing is whole).
   */
  private async walk(dir: string, seen: Set<string>, linked: boolean): Promise<string[]> {
    if (this.closed) return [];
    let real: string;
    let identity: Stats | undefined;
    try {
      real = await realpath(dir);
      // Only a watched folder is known by its identity; polling keeps none.
      if (this.options.native) identity = await stat(dir);
    } catch (error) {
      return this.unreadable(dir, error) ? [] : [dir];
    }
    if (this.closed) return [];
    if (linked && !isInside(this.realRoot, real)) this.options.listener.refused(dir, OUTSIDE_ROOT);
    // Neither kind hides a file of the source: the listing stays complete.
    if (linked || seen.has(real)) return [];
    if (identity) this.watchCurrent(dir, real, identity, seen);
    seen.add(real);
    // Sized by the folder's subfolders, never by its files.
    const subfolders: Array<{ path: string; linked: boolean }> = [];
    const unread: string[] = [];
    try {
      let round: string[] = [];
      const statRound = async (): Promise<void> => {
        const found = (absolute: string, stats: Stats | Error | undefined): void => {
          // One entry that cannot be stat-ed is that entry's problem: the rest is still listed.
          if (stats instanceof Error) {
            if (!this.unreadable(absolute, stats)) unread.push(absolute);
          }
          else if (stats?.isDirectory()) subfolders.push({ path: absolute, linked: true });
          else if (stats?.isFile() && !this.options.ignored(absolute, stats)) {
            this.listing += 1;
            this.options.listener.file(absolute, stats);
          }
        };
        if (this.options.native) {
          for (const absolute of round) found(absolute, this.statNow(absolute));
          // Lets events and requests in between rounds.
          await new Promise((resolve) => setImmediate(resolve));
        } else {
          await inParallel(round, this.concurrency, async (absolute) => found(absolute, await this.statLater(absolute)), () => this.closed);
        }
        round = [];
      };
      for await (const entry of await opendir(dir)) {
        if (this.closed) break;
        const absolute = join(dir, entry.name);
        if (this.options.ignored(absolute)) continue;
        if (entry.isDirectory()) subfolders.push({ path: absolute, linked: false });
        else if (entry.isFile() || entry.isSymbolicLink()) round.push(absolute);
        if (round.length >= ENTRIES_PER_ROUND) await statRound();
      }
      await statRound();
    } catch (error) {
      if (!this.unreadable(dir, error)) unread.push(dir);
    }
    for (const subfolder of subfolders) unread.push(...(await this.walk(subfolder.path, seen, subfolder.linked)));
    return unread;
  }

  /**
   * A folder or entry that could not be read or stat-ed (denied, a stale NFS handle, an I/O
   * error, a symlink loop) is said and skipped, and the walk goes on: it is that path's problem,
   * not the tree's. False when it may hide files, which the listing then did not report; one
   * that vanished mid-listing, or a loop, hides none.
   */
  private unreadable(path: string, error: unknown): boolean {
    if (isGoneError(error)) return true;
    this.options.listener.problem(path, asError(error));
    return isLoopError(error);
  }

  /** Watches `dir` unless the folder watched there is this one; another one in its place replaces it. */
  private watchCurrent(dir: string, real: string, identity: Stats, seen: Set<string>): void {
    const folder = this.folders.get(dir);
    // The folders under the old one went with it: this walk lists those in the new one.
    if (folder && !sameFolder(folder, identity)) for (const gone of this.vanished(dir)) seen.delete(gone);
    if (this.folders.get(dir)?.watch === undefined) this.watchFolder(dir, real, identity);
  }

  private watchFolder(dir: string, real: string, identity: Stats): void {
    let handle: FSWatcher | undefined;
    try {
      handle = watch(dir, { persistent: true }, (_event, name) => this.noticed(dir, name));
      const opened = handle;
      opened.on('error', (error) => {
        // The folder went away (then looking at it says so), or its watch broke (then the next
        // rescan's listing watches it again).
        opened.close();
        const folder = this.folders.get(dir);
        if (folder?.watch === opened) folder.watch = undefined;
        if (!isGoneError(error)) this.options.listener.problem(dir, error);
        this.noticeChange(dir);
      });
    } catch (error) {
      // ENOSPC here means fs.inotify.max_user_watches is spent: rescans still find this folder's files.
      handle = undefined;
      this.options.listener.problem(dir, asError(error));
    }
    this.folders.get(dir)?.watch?.close();
    this.folders.set(dir, { watch: handle, real, dev: identity.dev, ino: identity.ino });
  }

  private noticed(dir: string, name: string | null): void {
    if (this.closed) return;
    if (name === null) this.relist.add(dir);
    else {
      this.changed.add(join(dir, name));
      // A folder deleted or moved away is reported by its own watch under its own name (which an
      // entry in it may also have): the folder itself is looked at again.
      if (name === basename(dir)) this.itself.add(dir);
    }
    this.schedule();
  }

  private noticeChange(absolute: string): void {
    if (this.closed) return;
    this.changed.add(absolute);
    this.schedule();
  }

  private schedule(): void {
    if (!this.timer && !this.looking) this.timer = setTimeout(() => this.lookAtChanged(), COALESCE_MS);
  }

  private lookAtChanged(): void {
    this.timer = undefined;
    const paths = [...new Set([...this.changed, ...this.itself])];
    const folders = [...this.relist];
    const itself = this.itself;
    this.changed = new Set();
    this.relist = new Set();
    this.itself = new Set();
    this.looking = (async () => {
      await inParallel(paths, this.concurrency, (absolute) => this.lookAt(absolute, itself.has(absolute)), () => this.closed);
      for (const folder of folders) if (this.folders.has(folder)) await this.walk(folder, this.realPathsBut(folder), false);
    })()
      .catch((error: unknown) => this.options.listener.problem(this.options.root, asError(error)))
      .finally(() => {
        this.looking = undefined;
        if (this.changed.size + this.relist.size + this.itself.size > 0) this.schedule();
      });
  }

  /** `itself`: the folder's own watch reported its name (see noticed()). */
  private async lookAt(absolute: string, itself: boolean): Promise<void> {
    if (this.options.ignored(absolute)) return;
    let stats: Stats;
    try {
      stats = await stat(absolute);
    } catch (error) {
      if (isGoneError(error)) this.vanished(absolute);
      else if (!isDeniedError(error)) this.options.listener.problem(absolute, asError(error));
      return;
    }
    if (this.closed) return;
    if (stats.isDirectory()) {
      // A folder made or moved in is listed whole. A known one that merely changed (a file in
      // it came or went) has nothing more to say; one whose watch broke is watched again by the
      // next rescan's listing, not here (a watch that keeps failing must not spin).
      const folder = this.folders.get(absolute);
      if (folder && !sameFolder(folder, stats)) {
        // Another folder in its place (mv in in.old && mkdir in): the old one went, with all under it.
        this.vanished(absolute);
      } else if (folder && itself) {
        // Deleted and made again at once (rm -rf in && mkdir in): ext4 gives the new folder the
        // old one's inode number, so only the old watch's last word tells them apart. Set anew
        // and listed; a folder merely holding an entry of its own name costs that listing.
        folder.watch?.close();
        folder.watch = undefined;
      } else if (folder) return;
      // The root is walked as the root, even when its path is a symlink.
      const linked = absolute !== this.options.root && ((await lstat(absolute).catch(() => undefined))?.isSymbolicLink() ?? false);
      await this.walk(absolute, this.realPathsBut(absolute), linked);
    } else if (stats.isFile() && !this.options.ignored(absolute, stats)) {
      this.options.listener.file(absolute, stats);
    }
  }

  /** The real paths of the folders watched already (but `dir`): a walk from `dir` does not list them again. */
  private realPathsBut(dir: string): Set<string> {
    const reals = new Set<string>();
    for (const [path, folder] of this.folders) if (path !== dir) reals.add(folder.real);
    return reals;
  }

  /** Says `absolute` went; a watched folder takes every folder under it along. Returns their real paths. */
  private vanished(absolute: string): string[] {
    const reals: string[] = [];
    const wasFolder = this.folders.has(absolute);
    if (wasFolder) {
      const under = absolute.endsWith(sep) ? absolute : `${absolute}${sep}`;
      for (const [path, folder] of this.folders) {
        if (path !== absolute && !path.startsWith(under)) continue;
        folder.watch?.close();
        this.folders.delete(path);
        reals.push(folder.real);
      }
    }
    this.options.listener.gone(absolute, wasFolder);
    return reals;
  }

  /** An entry's stats, undefined when it is gone (or a symlink to nothing), or why it could not be stat-ed. */
  private statNow(absolute: string): Stats | Error | undefined {
    try {
      return statSync(absolute, { throwIfNoEntry: false });
    } catch (error) {
      return asError(error);
    }
  }

  private async statLater(absolute: string): Promise<Stats | Error | undefined> {
    try {
      return await stat(absolute);
    } catch (error) {
      return isGoneError(error) ? undefined : asError(error);
    }
  }
}
