// A folder source: notices files under one root (a native watch per folder on a local disk,
// a listing every polling interval on an SMB/NFS mount), decides by the pipeline's rule when
// each is complete, records it in the ledger and emits it as ready. Nothing partial is ever
// emitted.
//
// How a file travels:
//   event / listing ──► consider(): known version? ──► candidates (due time) ──► tick:
//   check(): re-stat, rule decision ──► confinement ──► touch rule ──► sample, stat again
//   (unchanged?) ──► ledger.markReady ──► emit `ready` if the ledger says it is ready.
//
// Start-up catch-up is a full listing (folder-watcher.ts) compared with the ledger's known
// paths; a periodic full rescan does the same for events lost since (network mounts drop
// them). Scale, for 100,000 files under watch: one native watch per folder, none per file;
// what the ledger knows of each path in a compact table (known-paths.ts);
// candidates (files waiting for their rule, so only those being written) in one
// insertion-ordered map that one scheduler tick walks from its front until the first entry
// not yet due, so no timer per file; stat calls and checks a few at a time. An idle file
// costs its row in the known table and nothing else.
//
// Confinement: a symlinked file is checked where it leads when it is read (at its first check
// and again when ready); a symlinked folder that leads out of the root is neither listed nor
// watched (folder-watcher.ts), only refused, once.
//
// Unfinished Parquet: a file the rule calls complete that looks like Parquet being written (it
// starts with PAR1, or is empty or zero-filled so far) but has no footer yet (no PAR1 at its
// end) is not finished, whatever the rule says: a writer pausing between row groups, an SMB
// copy whose writes show late. It stays seen and is looked at again every quiet period; only
// once it has stayed unchanged, footerless, for `ready.footer_wait` (10 minutes by default) is it
// recorded ready, for the door to quarantine (docs/adr/0012).
//
// Network mounts: at start the folder's file system is asked (statfs); on SMB/CIFS or NFS
// without `polling: true` a warning names the pipeline, the folder and the setting, since writes
// made by other machines are then noticed only by the rescan (docs/adr/0022).
//
// Seen records: a file waiting for its rule is recorded `seen` once, so the landing listing
// shows it waiting. One that goes before it is ready (an aborted copy deleted, a writer that
// renames its finished file) takes its seen record along (discard()); one that went while no
// watcher ran is found by the next rescan, which sweeps the source's seen paths that the
// listing did not report (except at or under a folder or entry it could not read).
import { EventEmitter } from 'node:events';
import type { Stats } from 'node:fs';
import { realpath, stat, statfs } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import { isMissingFile } from '../broker/core/errors.ts';
import { inParallel } from '../broker/in-parallel.ts';
import { isHiddenSegment, isInside } from '../broker/jobs/input-paths.ts';
import { classifyChange, contentSample, fsFingerprint, type FileStat, type PathRecord } from './fingerprint.ts';
import { FolderWatcher } from './folder-watcher.ts';
import { globMatcher, type GlobMatcher } from './glob.ts';
import { footerPendingAt } from './landing-validator.ts';
import { KnownPaths, ownCopy } from './known-paths.ts';
import { readyLanding, type LandingInput, type LandingLedger, type ReadyLanding } from './landing-ledger.ts';
import { markerDecision, renameDecision, stableDecision, temporaryNameMatcher, type Observation } from './readiness.ts';
import { sourceId, type FsSource as FsSourceConfig } from '../broker/core/landing-config.ts';

export interface FsSourceEvents {
  /** A complete file, recorded as ready in the ledger (by this process or another). */
  ready: [landing: ReadyLanding];
  /** A file outside the root (symlink escape, ".."), or a symlinked folder that leads out of it: logged once and never emitted. */
  refused: [path: string, reason: string];
  /** A known file whose mtime moved but whose content did not: not a new landing (touch_is_new: false). */
  touched: [path: string];
  /** A listing of the whole folder ended, every subfolder read: the watcher's health (source-health.ts). */
  listed: [listing: { files: number; ms: number }];
  error: [error: Error];
}

export type FsSourceLedger = Pick<
  LandingLedger,
  'pathRecords' | 'markSeen' | 'forgetSeen' | 'seenPaths' | 'markReady' | 'updatePath' | 'forgetPath' | 'pathRecord' | 'each'
>;

export type FsSourceOptions = {
  config: FsSourceConfig;
  ledger: FsSourceLedger;
  log: Logger;
  now?: () => number;
  /** How often the scheduler looks at due candidates; defaults from the quiet period. */
  tickMs?: number;
  /** Stat calls in flight at once. */
  concurrency?: number;
  /** The pipeline file the source comes from, for the messages that name it. */
  pipelineFile?: string;
  /** Asks the folder's file system (tests inject one); node's statfs by default. */
  statfs?: (path: string) => Promise<{ type: number }>;
};

/**
 * statfs f_type magic numbers of network file systems (linux/magic.h and the file systems'
 * own headers), on which the kernel reports no change made by another machine.
 */
const NETWORK_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x517b, 'smb'],
  [0x6969, 'nfs'],
  [0x00c36400, 'ceph'],
  [0x01021997, '9p'],
  [0x5346414f, 'afs'],
  [0x73757245, 'coda'],
  [0x0bd00bd0, 'lustre'],
]);

/** The name of the network file system a statfs `type` stands for, or undefined for a local one (or one not known). */
export function networkFileSystem(type: number): string | undefined {
  // f_type is a C long: some platforms hand the 32-bit magic over sign-extended.
  return NETWORK_FILE_SYSTEMS.get(type >>> 0);
}

/**
 * A file waiting for its rule: its last observation (the rule compares the next stat with it),
 * when to look again, `checked`: confined and recorded as seen in the ledger (done at its
 * first check, not per event), and `seen`: the fingerprint of that seen record while it is
 * one, for discard() to remove. One flat object: only files being written are candidates.
 */
type Candidate = Observation & { due: number; checked: boolean; seen: string | undefined };
type CandidateChecks = Pick<Candidate, 'checked' | 'seen'>;
const UNCHECKED: CandidateChecks = { checked: false, seen: undefined };

const toFileStat = (stats: Stats): FileStat => ({ size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino });

export class FsSource extends EventEmitter<FsSourceEvents> {
  readonly id: string;
  private readonly root: string;
  /** The root with a trailing separator: what every path under it starts with. */
  private readonly rootPrefix: string;
  private realRoot = '';
  private readonly include: GlobMatcher;
  private readonly isTemporary: GlobMatcher;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly concurrency: number;
  /** Last version of each path the ledger knows (recorded ready, or touched). */
  private readonly known = new KnownPaths();
  /** Files waiting for their rule, in due order (re-inserted at the end when re-queued). */
  private readonly candidates = new Map<string, Candidate>();
  /** Candidates to look at on the next tick regardless of order (a marker appeared). */
  private readonly urgent = new Set<string>();
  private readonly checking = new Set<string>();
  private readonly refusedPaths = new Set<string>();
  /** Candidates found without a Parquet footer (path → fingerprint of that version): said once per version. */
  private readonly footerless = new Map<string, string>();
  /** Entries skipped as hidden during the listing under way (undefined between listings). */
  private hidden: { count: number; example: string | undefined } | undefined;
  /**
   * During a listing: the source's seen paths (path → fingerprint) read before it, struck as
   * the listing reports each; what is left was not there. Sized by files being written.
   */
  private unreportedSeen: Map<string, string> | undefined;
  private watcher: FolderWatcher | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private rescanner: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private ticking = false;
  /** The first listing is done: ticks may start. */
  private listed = false;
  private rescanning: Promise<void> | undefined;
  /** A rescan was asked for while a polling listing ran: it re-emits ready landings when that ends. */
  private reemitDue = false;
  private closed = false;

  constructor(private readonly options: FsSourceOptions) {
    super();
    const { config } = options;
    this.id = sourceId(config);
    this.root = config.path.replace(/\/+$/, '') || '/';
    this.rootPrefix = this.root.endsWith(sep) ? this.root : `${this.root}${sep}`;
    this.include = globMatcher(config.include, { nocase: true });
    this.isTemporary = temporaryNameMatcher(config.ready.temp);
    this.now = options.now ?? Date.now;
    // A tenth of the quiet period: a ready file waits at most that past its quiet time. Cheap,
    // since a tick stops at the first candidate not yet due.
    this.tickMs = options.tickMs ?? Math.min(250, Math.max(20, Math.floor(config.ready.quiet / 10)));
    this.concurrency = options.concurrency ?? 16;
  }

  /** Resolves once the start-up listing has been taken in (its files are then candidates). */
  async start(): Promise<void> {
    const { config, ledger, log } = this.options;
    this.realRoot = await realpath(this.root);
    await this.warnIfNetworkMount();
    for await (const [path, record] of ledger.pathRecords(this.id)) this.known.set(path, record);
    // Ready landings not yet batched (this process stopped before closing the batch) go
    // to the batcher again; the claim in the ledger keeps them from being batched twice.
    await this.reemitReady();
    const watcher = new FolderWatcher({
      root: this.root,
      native: !config.polling,
      ignored: (path, stats) => this.ignored(path, stats),
      concurrency: this.concurrency,
      listener: {
        file: (path, stats) => this.onFileEvent(path, stats),
        gone: (path, folder) => this.onUnlink(path, folder),
        problem: (path, error) => this.failed('watcher error', this.relativePath(path) ?? '', error),
        refused: (path, reason) => this.refuse(this.relativePath(path) ?? path, reason),
      },
    });
    this.watcher = watcher;
    // The first listing takes in the files present before start; nothing is forgotten on it
    // (the first rescan does that), as a start-up must not lose a path to a slow mount.
    const listingStarted = this.now();
    this.hidden = { count: 0, example: undefined };
    const firstListing = await watcher.list().finally(() => this.logHidden('info'));
    if (firstListing.complete) this.emit('listed', { files: watcher.filesListed, ms: this.now() - listingStarted });
    this.listed = true;
    this.keepTicking();
    this.rescanner = setInterval(() => void this.rescan(), config.rescan);
    // A network mount reports no remote writes: a listing every interval stands in for events.
    if (config.polling) this.poller = setInterval(() => void this.reconcile(false), config.interval);
    log.info(
      { source: this.id, root: this.root, polling: config.polling, rule: config.ready.rule, known: this.known.size, candidates: this.candidates.size, folders: watcher.watchedFolders },
      'fs source started',
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    clearInterval(this.rescanner);
    clearInterval(this.poller);
    await this.watcher?.close();
    await this.rescanning;
  }

  /**
   * On an SMB/CIFS or NFS mount the kernel reports no write made by another machine: without
   * polling such files are noticed only by the rescan (5 minutes by default). Said at start,
   * naming the pipeline file, the folder and the setting. A statfs that fails says nothing.
   */
  private async warnIfNetworkMount(): Promise<void> {
    const { config, log } = this.options;
    if (config.polling) return;
    const type = await (this.options.statfs ?? statfs)(this.root).then(
      (answer) => answer.type,
      () => undefined,
    );
    const fileSystem = type === undefined ? undefined : networkFileSystem(type);
    if (fileSystem === undefined) return;
    log.warn(
      { source: this.id, pipelineFile: this.options.pipelineFile, folder: this.root, fileSystem, setting: 'polling: true', rescanMs: config.rescan },
      'fs source folder is on a network mount and polling is off: files written by other machines are noticed only by the rescan; set polling: true on this source',
    );
  }

  /** Once per listing: how many entries were skipped as hidden ("_" or "." names, as Spark skips them), with one for example. */
  private logHidden(level: 'info' | 'debug'): void {
    const hidden = this.hidden;
    this.hidden = undefined;
    if (!hidden || hidden.count === 0) return;
    this.options.log[level]({ source: this.id, hidden: hidden.count, example: hidden.example }, 'landing entries skipped as hidden ("_" or "." names)');
  }

  /** How many files wait for their rule (for metrics and tests). */
  get pending(): number {
    return this.candidates.size;
  }

  private relativePath(absolute: string): string | undefined {
    // The common case, cheaply (every listed file comes here twice): a path the folder watcher
    // joined from the root and an entry name. Anything with a "." or ".." segment (or a
    // hidden name) takes the careful way below.
    if (sep === '/' && absolute.startsWith(this.rootPrefix) && absolute.length > this.rootPrefix.length && !absolute.includes('/.')) return absolute.slice(this.rootPrefix.length);
    const rel = relative(this.root, absolute);
    if (rel === '' || !isInside(this.root, absolute)) return undefined;
    return rel.split(sep).join('/');
  }

  private ignored(path: string, stats?: Stats): boolean {
    const rel = this.relativePath(path);
    if (rel === undefined) return path !== this.root;
    const segments = rel.split('/');
    const name = segments.at(-1)!;
    if (segments.slice(0, -1).some(isHiddenSegment)) return this.skipHidden(rel);
    if (this.isMarker(name)) return false;
    if (isHiddenSegment(name)) return this.skipHidden(rel);
    if (stats?.isFile()) return !this.include(rel) || (this.options.config.ready.rule === 'rename' && this.isTemporary(name));
    return false;
  }

  /** Counts a hidden entry during a listing (a listing never enters a hidden folder: its entries are not counted). */
  private skipHidden(rel: string): true {
    if (this.hidden) {
      this.hidden.count += 1;
      this.hidden.example ??= join(this.root, rel);
    }
    return true;
  }

  private isMarker(name: string): boolean {
    return this.options.config.ready.rule === 'marker' && name === this.options.config.ready.marker;
  }

  private onFileEvent(path: string, stats: Stats): void {
    const rel = this.relativePath(path);
    if (rel === undefined || this.closed) return;
    this.known.markListed(rel);
    this.unreportedSeen?.delete(rel);
    this.consider(rel, toFileStat(stats));
  }

  /** A path went away; a folder takes every path under it along (one event for the folder). */
  private onUnlink(path: string, folder: boolean): void {
    const rel = this.relativePath(path);
    if (rel === undefined) return;
    this.drop(rel);
    if (!folder) return;
    for (const candidate of [...this.candidates.keys()]) if (candidate.startsWith(`${rel}/`)) this.drop(candidate);
    for (const known of this.known.pathsUnder(rel)) this.drop(known);
  }

  private drop(rel: string): void {
    this.discard(rel);
    this.urgent.delete(rel);
    this.forget(rel);
  }

  /**
   * The file stops waiting without being recorded ready (it went, was refused, or is a known
   * version after all): the seen record made for it goes too, else the landing listing shows
   * it waiting for ever. One recorded ready needs nothing: RECORD_SCRIPT moves its seen
   * record to ready, or removes it as superseded.
   */
  private discard(rel: string): void {
    const candidate = this.candidates.get(rel);
    if (candidate === undefined) return;
    this.candidates.delete(rel);
    this.footerless.delete(rel);
    if (candidate.seen !== undefined) void this.forgetSeen(rel, candidate.seen);
  }

  private forgetSeen(rel: string, fingerprint: string): Promise<void> {
    return this.options.ledger.forgetSeen(this.id, rel, fingerprint).then(
      () => undefined,
      (error: unknown) => this.failed('forget seen landing failed', rel, error),
    );
  }

  private forget(rel: string): void {
    const fingerprint = this.known.delete(rel);
    if (fingerprint === undefined) return;
    this.options.ledger.forgetPath(this.id, rel, fingerprint).catch((error: unknown) => this.failed('forget path failed', rel, error));
  }

  /** A file was listed or changed: queue it for its rule unless this version is known. */
  private consider(rel: string, current: FileStat): void {
    const { rule, quiet } = this.options.config.ready;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (this.isMarker(name)) {
      this.wakeFolder(dirname(rel));
      return;
    }
    if (!this.include(rel)) return;
    if (rule === 'rename' && renameDecision(name, this.isTemporary) === 'ignore') return;
    // The idle case (every rescan, for every file): no record is built to say "nothing new".
    if (this.known.isKnownVersion(rel, current)) {
      this.discard(rel);
      return;
    }
    const at = this.now();
    const existing = this.candidates.get(rel);
    if (existing && existing.size === current.size && existing.mtimeMs === current.mtimeMs) return;
    const delay = rule === 'stable' ? quiet : rule === 'marker' ? this.options.config.interval : 0;
    this.requeue(rel, { size: current.size, mtimeMs: current.mtimeMs, at }, at + delay, existing ?? UNCHECKED);
  }

  private wakeFolder(folder: string): void {
    for (const rel of this.candidates.keys()) if (dirname(rel) === folder) this.urgent.add(rel);
  }

  /**
   * Ticks only while files wait for their rule (from the end of the first listing on): an idle
   * source over 100,000 landed files wakes for nothing but its rescans.
   */
  private keepTicking(): void {
    if (this.ticker || this.closed || !this.listed || this.candidates.size === 0) return;
    this.ticker = setInterval(() => void this.tick(), this.tickMs);
  }

  /** One scheduler pass: checks the urgent candidates, then the due ones from the front; stops ticking when none is left. */
  private async tick(): Promise<void> {
    if (this.candidates.size === 0) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      const now = this.now();
      const due: string[] = [...this.urgent].filter((rel) => this.candidates.has(rel) && !this.checking.has(rel));
      this.urgent.clear();
      for (const [rel, candidate] of this.candidates) {
        if (candidate.due > now || due.length >= this.concurrency * 16) break;
        if (!this.checking.has(rel) && !due.includes(rel)) due.push(rel);
      }
      await inParallel(due, this.concurrency, (rel) => this.check(rel), () => this.closed);
    } finally {
      this.ticking = false;
    }
  }

  /** (Re-)inserts the candidate at the end of the map: the map stays in due order. */
  private requeue(rel: string, obs: Observation, due: number, { checked, seen }: CandidateChecks): void {
    this.candidates.delete(rel);
    // The key is copied: `rel` is often cut out of an absolute path, which it would keep alive
    // (a start-up over 100,000 files makes every file a candidate at once).
    this.candidates.set(ownCopy(rel), { size: obs.size, mtimeMs: obs.mtimeMs, at: obs.at, due, checked, seen });
    this.keepTicking();
  }

  private async check(rel: string): Promise<void> {
    const candidate = this.candidates.get(rel);
    if (!candidate) return;
    this.checking.add(rel);
    try {
      await this.checkCandidate(rel, candidate);
    } catch (error) {
      this.failed('landing check failed', rel, error);
      // Try again later rather than drop the file: a ledger or mount hiccup must not lose it.
      this.requeue(rel, candidate, this.now() + Math.max(this.options.config.ready.quiet, 1_000), candidate);
    } finally {
      this.checking.delete(rel);
    }
  }

  private async checkCandidate(rel: string, candidate: Candidate): Promise<void> {
    const { config, ledger, log } = this.options;
    const absolute = join(this.root, rel);
    const first = await this.statOrGone(absolute);
    if (!first) {
      this.discard(rel);
      return;
    }
    if (!candidate.checked) {
      // Confinement first: a refused file leaves no trace in the ledger.
      const refusal = await this.confinement(absolute);
      if (refusal) {
        this.refuse(rel, refusal);
        return;
      }
    }
    const at = this.now();
    const obs: Observation = { size: first.size, mtimeMs: first.mtimeMs, at };
    const decision =
      config.ready.rule === 'stable'
        ? stableDecision(candidate, obs, config.ready.quiet)
        : config.ready.rule === 'marker'
          ? markerDecision(obs, await this.markerObservation(rel), config.interval)
          : ({ ready: true } as const);
    if (!decision.ready) {
      // Recorded as seen once, so GET /v1/landings shows what is waiting for its rule.
      const seen = candidate.checked ? candidate.seen : await this.markSeen(rel, first);
      const changed = obs.size !== candidate.size || obs.mtimeMs !== candidate.mtimeMs;
      this.requeue(rel, changed ? obs : candidate, decision.recheckAt, { checked: true, seen });
      return;
    }
    // Checked again when ready: a symlink may have been re-pointed while the file waited.
    const refusal = await this.confinement(absolute);
    if (refusal) {
      this.refuse(rel, refusal);
      return;
    }
    // The ledger's record of the path, not the known table's: it has the inode and content
    // sample the touch rule needs (the table keeps neither, for 100,000 idle paths), and it
    // has what another process recorded. A new path costs this read either way.
    const previous = await ledger.pathRecord(this.id, rel);
    const change = classifyChange(previous, first, config.touch_is_new);
    if (change === 'same') {
      // Recorded meanwhile (by another process watching the same folder): known from now on.
      this.known.set(rel, previous!);
      this.discard(rel);
      return;
    }
    const sample = await contentSample(absolute, first.size);
    if (change === 'maybe-touch' && previous) {
      if (previous.sample === sample) {
        const touched: PathRecord = { ...previous, mtimeMs: first.mtimeMs };
        await ledger.updatePath(this.id, rel, touched);
        this.known.set(rel, touched);
        this.discard(rel);
        log.info({ source: this.id, path: rel }, 'landing touched, content unchanged');
        this.emit('touched', rel);
        return;
      }
    }
    // The sample read took time: a file that moved meanwhile is still being written.
    const second = await this.statOrGone(absolute);
    if (!second || second.size !== first.size || second.mtimeMs !== first.mtimeMs || second.ino !== first.ino) {
      if (second) this.requeue(rel, { size: second.size, mtimeMs: second.mtimeMs, at: this.now() }, this.now() + config.ready.quiet, { checked: true, seen: candidate.seen });
      else this.discard(rel);
      return;
    }
    if (await this.waitForFooter(rel, absolute, candidate, first)) return;
    const landing = { ...this.landingInput(rel, first), sample };
    const { state } = await ledger.markReady(landing);
    this.candidates.delete(rel);
    this.footerless.delete(rel);
    this.known.set(rel, { fingerprint: landing.fingerprint, size: first.size, mtimeMs: first.mtimeMs });
    if (state !== 'ready') {
      log.debug({ source: this.id, path: rel, fingerprint: landing.fingerprint, state }, 'landing already processed');
      return;
    }
    log.debug({ source: this.id, path: rel, fingerprint: landing.fingerprint, size: first.size }, 'landing ready');
    this.emit('ready', readyLanding(landing));
  }

  /**
   * True when the file, complete by its rule, is Parquet not finished yet (no footer): it
   * stays a candidate, recorded seen at its current version, and is looked at again after the
   * quiet period. Once it has stayed unchanged and footerless for `footer_wait`, false: it is
   * recorded ready, and the door quarantines it.
   */
  private async waitForFooter(rel: string, absolute: string, candidate: Candidate, file: FileStat): Promise<boolean> {
    const { config, log } = this.options;
    if (!(await footerPendingAt(absolute))) return false;
    const now = this.now();
    // The candidate's observation is when this version (size, mtime) was first seen.
    const giveUpAt = candidate.at + config.ready.footer_wait;
    const fingerprint = fsFingerprint(this.id, rel, file.size, file.mtimeMs);
    if (now >= giveUpAt) {
      log.warn(
        { source: this.id, path: rel, size: file.size, footerWaitMs: config.ready.footer_wait },
        'landing still has no Parquet footer after ready.footer_wait unchanged; handed to the door, which quarantines it',
      );
      return false;
    }
    // Seen at this version, so that the landing listing shows its size now (it replaces the seen record of an earlier one).
    const seen = candidate.seen === fingerprint ? fingerprint : await this.markSeen(rel, file);
    if (this.footerless.get(rel) !== fingerprint) {
      this.footerless.set(rel, fingerprint);
      log.info(
        { source: this.id, path: rel, size: file.size, quarantineAt: new Date(giveUpAt).toISOString() },
        'landing not finished: no Parquet footer yet; waiting for its writer (ready.footer_wait)',
      );
    }
    const recheck = Math.max(config.ready.quiet, 1_000);
    this.requeue(rel, candidate, Math.min(now + recheck, giveUpAt), { checked: true, seen });
    return true;
  }

  /** A refused file (or symlinked folder, from the folder watcher) leaves no trace in the ledger. */
  private refuse(rel: string, reason: string): void {
    this.discard(rel);
    // Logged once per path, not on every rescan.
    if (this.refusedPaths.has(rel)) return;
    this.refusedPaths.add(rel);
    this.options.log.warn({ source: this.id, path: rel, reason }, 'landing refused');
    this.emit('refused', rel, reason);
  }

  /** Records the file as seen; returns the record's fingerprint while it is a seen one (another process may have made it ready). */
  private async markSeen(rel: string, file: FileStat): Promise<string | undefined> {
    const landing = this.landingInput(rel, file);
    const { state } = await this.options.ledger.markSeen(landing);
    return state === 'seen' ? landing.fingerprint : undefined;
  }

  private landingInput(rel: string, file: FileStat): LandingInput {
    return {
      fingerprint: fsFingerprint(this.id, rel, file.size, file.mtimeMs),
      source: this.id,
      path: rel,
      // Under the configured root (not its realpath): jobs-service confines inputs to the
      // landing roots as configured, and resolves symlinks itself when it expands them.
      uri: join(this.root, rel),
      size: file.size,
      mtimeMs: file.mtimeMs,
      ino: file.ino,
    };
  }

  private async statOrGone(absolute: string): Promise<FileStat | undefined> {
    try {
      const stats = await stat(absolute);
      return stats.isFile() ? toFileStat(stats) : undefined;
    } catch (error) {
      if (isMissingFile(error)) return undefined;
      throw error;
    }
  }

  private async markerObservation(rel: string): Promise<Observation | undefined> {
    const marker = await this.statOrGone(join(this.root, dirname(rel), this.options.config.ready.marker));
    return marker ? { size: marker.size, mtimeMs: marker.mtimeMs, at: this.now() } : undefined;
  }

  /** Why the file may not be read (outside the root once symlinks are resolved), or undefined. */
  private async confinement(absolute: string): Promise<string | undefined> {
    if (this.relativePath(absolute) === undefined) return 'path is outside the source root';
    const real = await realpath(absolute);
    if (real === this.realRoot || !isInside(this.realRoot, real)) return 'symlink leads outside the source root';
    return undefined;
  }

  private async reemitReady(): Promise<void> {
    for await (const record of this.options.ledger.each({ source: this.id, state: 'ready' })) this.emit('ready', readyLanding(record));
  }

  /**
   * Full listing: files whose events were lost become candidates, vanished paths are
   * forgotten, seen landings whose files went are removed, and ready landings not batched yet
   * go to the batcher again.
   */
  rescan(): Promise<void> {
    return this.reconcile(true);
  }

  /** A full listing (one at a time); `reemit`: then hand ready landings to the batcher again. */
  private reconcile(reemit: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.rescanning) {
      // A polling listing is under way: it does the rescan's re-emit when it ends.
      if (reemit) this.reemitDue = true;
      return this.rescanning;
    }
    this.reemitDue = reemit;
    this.rescanning = this.listAndReconcile()
      .catch((error: unknown) => this.failed('rescan failed', '', error))
      .finally(() => {
        this.rescanning = undefined;
      });
    return this.rescanning;
  }

  private async listAndReconcile(): Promise<void> {
    const started = this.now();
    this.known.beginListing();
    // Every file listed (or reported by an event meanwhile) is marked in the known table, and
    // struck from the seen paths read before, so what was not seen is found without a set of
    // every listed path.
    const unreportedSeen = await this.seenPaths();
    this.unreportedSeen = unreportedSeen;
    const rescan = this.reemitDue;
    this.hidden = { count: 0, example: undefined };
    const listing = await this.watcher!.list().finally(() => {
      this.unreportedSeen = undefined;
      // Once per rescan (every 5 minutes) at info; a polling listing (every interval) at debug.
      this.logHidden(rescan ? 'info' : 'debug');
    });
    if (this.closed) return;
    const { complete } = listing;
    // A folder or entry that could not be read hides its files: their absence proves nothing.
    // The rest of the tree was listed, and what it did not report went.
    const listed = (rel: string): boolean => !listing.mayHaveMissed(join(this.root, rel));
    const vanished = this.known.unlisted().filter(listed);
    for (const rel of vanished) this.forget(rel);
    const seenForgotten = unreportedSeen ? await this.forgetUnreportedSeen(new Map([...unreportedSeen].filter(([rel]) => listed(rel)))) : 0;
    if (this.reemitDue) {
      this.reemitDue = false;
      // Ready landings not batched yet go to the batcher again: those a release announcement
      // did not reach (the watch service hears releases at once), or a stopped process left.
      await this.reemitReady();
    }
    this.options.log.debug({ source: this.id, known: this.known.size, forgotten: vanished.length, seenForgotten, complete, candidates: this.candidates.size, ms: this.now() - started }, 'fs source rescanned');
    if (complete) this.emit('listed', { files: this.watcher!.filesListed, ms: this.now() - started });
  }

  /** The source's seen paths, or undefined (said) when the ledger cannot be read: the listing, which finds new files, goes on without its sweep. */
  private async seenPaths(): Promise<Map<string, string> | undefined> {
    try {
      return await this.options.ledger.seenPaths(this.id);
    } catch (error) {
      this.failed('reading seen landings failed', '', error);
      return undefined;
    }
  }

  /**
   * Removes the seen landings of the paths the complete listing did not report and no
   * candidate stands for: their files went before they were ready, perhaps while no watcher
   * ran (a candidate's own discard() covers the rest). The ledger removes a record only while
   * it is still the path's seen version read here; yet another process watching the same
   * folder may be waiting on that very version (moved away and back after this listing passed
   * its folder). Removing it wrongly is harmless: that process's markReady creates the landing
   * as ready directly, and only the listing's "waiting" line is lost meanwhile.
   */
  private async forgetUnreportedSeen(unreported: Map<string, string>): Promise<number> {
    const gone = [...unreported].filter(([rel]) => !this.candidates.has(rel));
    await Promise.all(gone.map(([rel, fingerprint]) => this.forgetSeen(rel, fingerprint)));
    return gone.length;
  }

  private failed(message: string, path: string, error: unknown): void {
    this.options.log.warn({ source: this.id, path, err: error }, message);
    // An 'error' event without a listener would throw; the log line is enough then.
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}
