// Keeps one native watch per folder under a root, and none per file: the kernel already
// reports, on a folder's watch, every file created, written, touched, renamed or deleted in
// it. 100,000 files in 100 folders cost 100 watches, where a watch per file cost 100,000
// (each an inotify descriptor, a handle and its listeners: most of the watcher's memory).
//
//   fs.watch(folder) ──► name changed ──► (gathered for COALESCE_MS) ──► stat ─┬─ file ──► listener.file
//                                                                            ├─ folder ──► watch it, list it
//                                                                            └─ gone ──► listener.gone
//
// Nothing is kept per file: what a file was is the caller's to remember (known-paths.ts).
// list() reads the whole tree, streaming each folder's entries; the caller runs it at start,
// on every rescan, and, on a network mount (native: false, where the kernel sees no remote
// writes), every polling interval instead of any native watch.
import { statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { lstat, opendir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { inParallel } from '../broker/in-parallel.ts';
import { isInside } from '../broker/jobs/input-paths.ts';

/** Told what the watch and the listings find; called synchronously, in the order found. */
export interface FolderWatcherListener {
  /** A file (or a symlink to one) found by a listing, or reported changed. */
  file(absolute: string, stats: Stats): void;
  /** A path reported changed that is no longer there; `folder` when it was a watched folder (all under it went too). */
  gone(absolute: string, folder: boolean): void;
  /** A folder that could not be watched or read; its files are still found by the next listing that can read it. */
  problem(absolute: string, error: Error): void;
}

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

/** A watched folder: its native watch (undefined once lost or when it could not be set) and its real path. */
type Folder = { watch: FSWatcher | undefined; real: string };

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
const isGoneError = (error: unknown): boolean => codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
const isDeniedError = (error: unknown): boolean => codeOf(error) === 'EACCES' || codeOf(error) === 'EPERM';
const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

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
   * Resolves to false when some folder could not be read: its files went unreported, so the
   * caller must not take their absence as deleted.
   */
  async list(): Promise<boolean> {
    this.realRoot = await realpath(this.options.root);
    this.listing = 0;
    const complete = await this.walk(this.options.root, new Set(), false);
    this.filesListed = this.listing;
    return complete;
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
   * symlink loop ends. A symlinked folder (`linked`) is followed only when it leads out of the
   * root, so that its files are refused loudly by the source; one that stays inside is an
   * alias of a folder already listed under its own path, whose files would come twice.
   */
  private async walk(dir: string, seen: Set<string>, linked: boolean): Promise<boolean> {
    if (this.closed) return true;
    let real: string;
    try {
      real = await realpath(dir);
    } catch (error) {
      return this.unreadable(dir, error);
    }
    if (seen.has(real) || (linked && isInside(this.realRoot, real))) return true;
    seen.add(real);
    if (this.options.native && this.folders.get(dir)?.watch === undefined) this.watchFolder(dir, real);
    // Sized by the folder's subfolders, never by its files.
    const subfolders: Array<{ path: string; linked: boolean }> = [];
    let complete = true;
    try {
      let round: string[] = [];
      const statRound = async (): Promise<void> => {
        const found = (absolute: string, stats: Stats | undefined): void => {
          if (stats?.isDirectory()) subfolders.push({ path: absolute, linked: true });
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
          await inParallel(round, this.concurrency, async (absolute) => found(absolute, await this.statOrGone(absolute)), () => this.closed);
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
      complete = this.unreadable(dir, error);
    }
    for (const subfolder of subfolders) complete = (await this.walk(subfolder.path, seen, subfolder.linked)) && complete;
    return complete;
  }

  /** A folder that vanished mid-listing is complete (nothing in it to miss); one that cannot be read is not. */
  private unreadable(dir: string, error: unknown): boolean {
    if (isGoneError(error)) return true;
    this.options.listener.problem(dir, asError(error));
    if (isDeniedError(error)) return false;
    throw error;
  }

  private watchFolder(dir: string, real: string): void {
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
    this.folders.set(dir, { watch: handle, real });
  }

  private noticed(dir: string, name: string | null): void {
    if (this.closed) return;
    if (name === null) this.relist.add(dir);
    else this.changed.add(join(dir, name));
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
    const paths = [...this.changed];
    const folders = [...this.relist];
    this.changed = new Set();
    this.relist = new Set();
    this.looking = (async () => {
      await inParallel(paths, this.concurrency, (absolute) => this.lookAt(absolute), () => this.closed);
      for (const folder of folders) if (this.folders.has(folder)) await this.walk(folder, this.realPathsBut(folder), false);
    })()
      .catch((error: unknown) => this.options.listener.problem(this.options.root, asError(error)))
      .finally(() => {
        this.looking = undefined;
        if (this.changed.size + this.relist.size > 0) this.schedule();
      });
  }

  private async lookAt(absolute: string): Promise<void> {
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
      if (this.folders.has(absolute)) return;
      const linked = (await lstat(absolute).catch(() => undefined))?.isSymbolicLink() ?? false;
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

  private vanished(absolute: string): void {
    const wasFolder = this.folders.has(absolute);
    if (wasFolder) {
      const under = `${absolute}${sep}`;
      for (const [path, folder] of this.folders) {
        if (path !== absolute && !path.startsWith(under)) continue;
        folder.watch?.close();
        this.folders.delete(path);
      }
    }
    this.options.listener.gone(absolute, wasFolder);
  }

  private statNow(absolute: string): Stats | undefined {
    try {
      return statSync(absolute, { throwIfNoEntry: false });
    } catch (error) {
      if (isGoneError(error) || isDeniedError(error)) return undefined;
      throw error;
    }
  }

  private async statOrGone(absolute: string): Promise<Stats | undefined> {
    try {
      return await stat(absolute);
    } catch (error) {
      if (isGoneError(error) || isDeniedError(error)) return undefined;
      throw error;
    }
  }
}
