// An S3 source: lists `bucket/prefix/` every `interval` (the prefix is a folder: "sales" lists
// "sales/", never "sales-eu/"), records each complete object in the
// ledger and emits it as ready, with the uri `s3://bucket/key`. There are no events to
// listen to (S3 event notifications need a queue per bucket), so listing is the watch.
//
// Each tick:
//   incremental: ListObjectsV2(StartAfter = cursor) ──► new keys ──► rule ──► ledger ──► `ready`
//   every FULL_LISTING_EVERY ticks (or after a failed full one): the whole prefix, which
//   also finds what an incremental listing cannot — a key that sorts before the cursor (a
//   rewritten key, a multipart upload that completed after later keys), and keys gone.
//
// The cursor is the greatest key taken in so far, persisted in Redis under the ledger's
// prefix after each page's objects are recorded, so a restart carries on from it rather
// than listing the prefix from scratch; the first full listing comes FULL_LISTING_EVERY
// ticks later. Keys that landed meanwhile below the cursor wait for that full listing.
//
// Identity: s3Fingerprint(source, key, size, ETag). A key re-uploaded with other content
// has a new ETag and is a new landing; the same bytes uploaded again (same ETag) are not.
//
// Rules: `stable` — S3 lists an object only once it is whole (a multipart upload appears
// when completed), so a listed object is ready on sight. `marker` — an object is ready once
// a marker object (`_SUCCESS`) exists in its "folder" (the key up to its last '/'), last
// modified no earlier than the object; waiting objects are recorded as seen, and their
// folders' markers looked up each tick (a marker usually sorts before the cursor: "_" <
// "p"), so the incremental listing need not see the marker itself.
//
// Seen records: an object deleted before it was ready (an aborted upload cleaned up, a
// producer that wrote elsewhere) takes its seen record along at the next full listing, the
// first that can tell it went: the source's seen paths are read before it, and those it did
// not list are removed (LandingLedger.forgetSeen), whichever rule the source has now. Else
// GET /v1/landings shows it waiting for ever, and each restart takes it back as waiting, to be
// made ready when a marker comes to its folder. A marker that comes before that full listing
// finds the same: its folder is listed again before anything in it is made ready, so what is
// gone is forgotten and what was rewritten is taken as it is now.
//
// Failures: the client rides out short outages itself (s3-storage's retry strategy); a
// listing that still fails is logged and the next tick comes after a backoff (interval
// doubling per failure, at most MAX_BACKOFF_MS). Nothing is lost — the cursor only moves
// past recorded objects — and nothing is emitted twice to a job: markReady is idempotent
// and the batcher's claim ignores fingerprints already batched.
import { EventEmitter } from 'node:events';
import { ListObjectsV2Command, type _Object, type S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { s3FolderPrefix, sourceId, type S3Source as S3SourceConfig } from '../broker/core/landing-config.ts';
import { s3Fingerprint } from './fingerprint.ts';
import { globMatcher, type GlobMatcher } from './glob.ts';
import type { LandingKeys } from './landing-keys.ts';
import { readyLanding, type LandingInput, type LandingLedger, type ReadyLanding } from './landing-ledger.ts';
import { markerDecision } from './readiness.ts';
import { isHiddenSegment } from '../broker/jobs/input-paths.ts';
import { inParallel } from '../broker/in-parallel.ts';

/** A full listing every this many ticks (the ticks between are incremental). */
export const FULL_LISTING_EVERY = 10;
/** The longest wait between ticks while listings fail. */
export const MAX_BACKOFF_MS = 60_000;
/** Ledger calls in flight at once while taking in a page. */
const CONCURRENCY = 16;

export interface S3SourceEvents {
  /** A complete object, recorded as ready in the ledger (by this process or another). */
  ready: [landing: ReadyLanding];
  /** A listing or a ledger call failed; the next tick tries again. */
  error: [error: Error];
  /** A tick's listing ended well: the watcher's health (source-health.ts). */
  listed: [listing: { files: number; ms: number }];
}

export type S3SourceLedger = Pick<LandingLedger, 'knownPaths' | 'markSeen' | 'forgetSeen' | 'seenPaths' | 'markReady' | 'forgetPath' | 'each'>;

/** Where a source's listing cursor is kept between runs. */
export type CursorStore = {
  get(source: string): Promise<string | undefined>;
  set(source: string, key: string): Promise<void>;
};

/** The cursor as a Redis string under the ledger's keys (landingKeys().s3Cursor). */
export function redisCursorStore(redis: Redis, keys: Pick<LandingKeys, 's3Cursor'>): CursorStore {
  const key = keys.s3Cursor;
  return {
    get: async (source) => (await redis.get(key(source))) ?? undefined,
    set: async (source, value) => {
      await redis.set(key(source), value);
    },
  };
}

export type S3SourceOptions = {
  config: S3SourceConfig;
  client: S3Client;
  ledger: S3SourceLedger;
  cursor: CursorStore;
  log: Logger;
  now?: () => number;
  fullListingEvery?: number;
  maxBackoffMs?: number;
  /** Keys per listing page (S3's maximum, 1,000, by default). */
  pageSize?: number;
};

type Listed = { key: string; size: number; etag: string; lastModifiedMs: number };

/** S3 orders keys by their UTF-8 bytes. */
const keyOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const folderOf = (key: string): string => key.slice(0, key.lastIndexOf('/') + 1);

/** A key with an empty, "." or ".." part: S3 keeps it, but a job's s3:// input cannot name it (lake-key.ts). */
const hasUnreadableParts = (key: string): boolean => key.split('/').some((part) => part === '' || part === '.' || part === '..');

export class S3Source extends EventEmitter<S3SourceEvents> {
  readonly id: string;
  /** The prefix as a folder ("sales" → "sales/"): what is listed, so "sales-eu/..." is not this source's. */
  private readonly prefix: string;
  private readonly include: GlobMatcher;
  private readonly fullEvery: number;
  private readonly maxBackoffMs: number;
  /** Each key's last version recorded ready (its fingerprint). */
  private readonly known = new Map<string, string>();
  /** marker rule: objects recorded as seen, waiting for their folder's marker. */
  private readonly pending = new Map<string, LandingInput>();
  /** Keys refused for their parts, each logged once. */
  private readonly refusedKeys = new Set<string>();
  private cursorKey: string | undefined;
  /** Objects skipped as hidden during the full listing under way. */
  private hidden: { count: number; example: string | undefined } = { count: 0, example: undefined };
  private ticks = 0;
  private failures = 0;
  private fullDue = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: S3SourceOptions) {
    super();
    this.id = sourceId(options.config);
    this.prefix = s3FolderPrefix(options.config.prefix);
    this.include = globMatcher(options.config.include, { nocase: true });
    this.fullEvery = Math.max(1, options.fullListingEvery ?? FULL_LISTING_EVERY);
    this.maxBackoffMs = options.maxBackoffMs ?? MAX_BACKOFF_MS;
  }

  /** Loads what the ledger knows, takes in a first listing (or logs why it could not), and starts the ticks. */
  async start(): Promise<void> {
    const { config, ledger, log, cursor } = this.options;
    for (const [key, record] of await ledger.knownPaths(this.id)) this.known.set(key, record.fingerprint);
    this.cursorKey = await cursor.get(this.id);
    // A cursor outside the folder (left by a version that listed "sales" as a bare prefix, and
    // so took "salesforce/..."): listings from it would find nothing; start from a full listing.
    if (this.cursorKey !== undefined && !this.cursorKey.startsWith(this.prefix)) this.cursorKey = undefined;
    if (config.ready.rule === 'marker') await this.loadPending();
    // The first tick also hands the ledger's ready landings to the batcher again.
    await this.poll();
    this.schedule();
    log.info({ source: this.id, bucket: config.bucket, prefix: this.prefix, rule: config.ready.rule, known: this.known.size, cursor: this.cursorKey ?? null }, 's3 source started');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** Objects waiting for their marker (for metrics and tests). */
  get waiting(): number {
    return this.pending.size;
  }

  /** One tick now (tests); a tick already under way is awaited instead. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.polling ??= this.tick().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private schedule(): void {
    if (this.closed) return;
    const { interval } = this.options.config;
    const delay = this.failures === 0 ? interval : Math.min(this.maxBackoffMs, interval * 2 ** this.failures);
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), delay);
  }

  private async tick(): Promise<void> {
    this.ticks += 1;
    const full = this.fullDue || this.cursorKey === undefined || this.ticks % this.fullEvery === 0;
    const started = this.now();
    try {
      const markers = new Map<string, number>();
      let seenForgotten = 0;
      if (full) seenForgotten = await this.fullListing(markers);
      else await this.listFrom(this.cursorKey, markers);
      if (this.options.config.ready.rule === 'marker') await this.checkPending(markers);
      // Landings left ready by a process that stopped before batching them, or released
      // while no watcher heard the announcement, reach the batcher again; those this tick
      // made ready were emitted already.
      if (full || this.ticks === 1) await this.reemitReady(started);
      if (full) this.fullDue = false;
      if (this.failures > 0) this.options.log.info({ source: this.id, failures: this.failures }, 's3 listing works again');
      this.failures = 0;
      this.options.log.debug({ source: this.id, full, known: this.known.size, waiting: this.pending.size, seenForgotten, ms: this.now() - started }, 's3 source listed');
      this.emit('listed', { files: this.known.size, ms: this.now() - started });
    } catch (error) {
      if (full) this.fullDue = true;
      this.failures += 1;
      this.failed('s3 listing failed; retrying with backoff', error, { full, failures: this.failures });
    }
  }

  /** Lists keys after `startAfter` (all when undefined), adding each to `listed` when given. */
  private async listFrom(startAfter: string | undefined, markers: Map<string, number>, listed?: Set<string>): Promise<void> {
    const { client, config, pageSize } = this.options;
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: config.bucket,
          ...(this.prefix ? { Prefix: this.prefix } : {}),
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          ...(pageSize ? { MaxKeys: pageSize } : {}),
        }),
      );
      const objects = (page.Contents ?? []).map(toListed).filter((object): object is Listed => object !== undefined);
      await this.takeIn(objects, markers, listed);
      if (this.closed) return;
      const last = objects.at(-1)?.key;
      if (last !== undefined && (this.cursorKey === undefined || keyOrder(last, this.cursorKey) > 0)) {
        // Only past objects already recorded: a crash here re-lists them, harmlessly.
        await this.options.cursor.set(this.id, last);
        this.cursorKey = last;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * The whole prefix: everything the incremental listings missed, and keys gone since, their
   * seen landings with them. Returns how many seen landings it removed.
   */
  private async fullListing(markers: Map<string, number>): Promise<number> {
    // Read before the listing: a version seen after the listing passed its key (by another
    // process watching the same prefix) is not this listing's to judge. Few: objects waiting.
    const seen = await this.options.ledger.seenPaths(this.id);
    const listed = new Set<string>();
    this.hidden = { count: 0, example: undefined };
    await this.listFrom(undefined, markers, listed);
    if (this.closed) return 0;
    this.logHidden();
    for (const [key, fingerprint] of [...this.known]) {
      if (listed.has(key)) continue;
      this.known.delete(key);
      await this.options.ledger.forgetPath(this.id, key, fingerprint);
    }
    for (const key of [...this.pending.keys()]) if (!listed.has(key)) this.pending.delete(key);
    return this.forgetUnlistedSeen(seen, listed);
  }

  /**
   * Removes the seen landings whose keys the full listing did not list: their objects went
   * before they were ready, perhaps while no source ran. The ledger removes a record only
   * while it is still the path's seen version read before the listing and still seen. One
   * whose object came back the same (after the listing passed its key) is removed wrongly,
   * and harmlessly: the next full listing records it as seen again, and a process still
   * waiting on it creates it as ready directly with markReady; only the "waiting" line of
   * GET /v1/landings is missing meanwhile.
   */
  private async forgetUnlistedSeen(seen: Map<string, string>, listed: Set<string>): Promise<number> {
    const gone = [...seen].filter(([key]) => !listed.has(key));
    await inParallel(gone, CONCURRENCY, async ([key, fingerprint]) => void (await this.options.ledger.forgetSeen(this.id, key, fingerprint)));
    return gone.length;
  }

  private async takeIn(objects: Listed[], markers: Map<string, number>, listed?: Set<string>): Promise<void> {
    const { rule, marker } = this.options.config.ready;
    const work: Array<() => Promise<void>> = [];
    for (const object of objects) {
      listed?.add(object.key);
      const rel = this.relativeKey(object.key);
      if (rel === undefined) continue;
      if (hasUnreadableParts(object.key)) {
        this.refuseKey(object.key);
        continue;
      }
      const segments = rel.split('/');
      const name = segments.at(-1)!;
      if (segments.slice(0, -1).some(isHiddenSegment)) {
        if (listed) this.countHidden(object.key);
        continue;
      }
      if (rule === 'marker' && name === marker) {
        markers.set(folderOf(object.key), object.lastModifiedMs);
        continue;
      }
      if (isHiddenSegment(name)) {
        if (listed) this.countHidden(object.key);
        continue;
      }
      if (!this.include(rel)) continue;
      const fingerprint = s3Fingerprint(this.id, object.key, object.size, object.etag);
      if (this.known.get(object.key) === fingerprint) continue;
      const landing = this.landingInput(object, fingerprint);
      if (rule === 'stable') {
        work.push(() => this.ready(landing));
      } else if (this.pending.get(object.key)?.fingerprint !== fingerprint) {
        this.pending.set(object.key, landing);
        // Recorded as seen, so GET /v1/landings shows what waits for its marker.
        work.push(async () => void (await this.options.ledger.markSeen(landing)));
      }
    }
    await inParallel(work, CONCURRENCY, (task) => task());
  }

  private countHidden(key: string): void {
    this.hidden.count += 1;
    this.hidden.example ??= key;
  }

  /**
   * Once per full listing: how many objects were skipped as hidden (a "_" or "." name, or
   * under such a folder: Spark skips them too), with one for example, so that on-call can find
   * files a producer named that way. Debug level: a prefix that holds _SUCCESS-style files says
   * it every full listing.
   */
  private logHidden(): void {
    if (this.hidden.count === 0) return;
    this.options.log.debug({ source: this.id, hidden: this.hidden.count, example: this.hidden.example }, 'objects skipped as hidden ("_" or "." names)');
  }

  /** Logged once per key (not at every listing): S3 allows such keys, no s3:// URI of a job can name them. */
  private refuseKey(key: string): void {
    if (this.refusedKeys.has(key)) return;
    this.refusedKeys.add(key);
    this.options.log.warn(
      { source: this.id, key },
      'landing refused: its key has an empty, "." or ".." part (as in "in//x.parquet"), which no job can read; upload it under a plain key',
    );
  }

  /** The key below the prefix ('' never: the prefix itself is no landing), or undefined for a folder placeholder. */
  private relativeKey(key: string): string | undefined {
    if (key.endsWith('/') || !key.startsWith(this.prefix)) return undefined;
    const rel = key.slice(this.prefix.length).replace(/^\/+/, '');
    return rel === '' ? undefined : rel;
  }

  /**
   * marker rule: each folder with waiting objects is ready once its marker is at least as new
   * as them. A folder whose marker has come is listed again before anything in it is made
   * ready: what it holds now, not what the listings saw, is the landing (an object deleted or
   * rewritten since, below the cursor, would otherwise be handed to a job as it was seen).
   */
  private async checkPending(markers: Map<string, number>): Promise<void> {
    const now = this.now();
    for (const folder of new Set([...this.pending.values()].map((landing) => folderOf(landing.path)))) {
      if (this.closed) return;
      const markerMs = markers.has(folder) ? markers.get(folder) : await this.markerModified(folder);
      if (this.readyIn(folder, markerMs, now).length === 0) continue;
      const fresh = new Map<string, number>();
      const listed = await this.listFolder(folder, fresh);
      const gone = this.waitingIn(folder).filter((landing) => !listed.has(landing.path));
      for (const landing of gone) this.pending.delete(landing.path);
      await inParallel(gone, CONCURRENCY, async (landing) => void (await this.options.ledger.forgetSeen(this.id, landing.path, landing.fingerprint)));
      await inParallel(this.readyIn(folder, fresh.get(folder), now), CONCURRENCY, (landing) => this.ready(landing));
    }
  }

  private waitingIn(folder: string): LandingInput[] {
    return [...this.pending.values()].filter((landing) => folderOf(landing.path) === folder);
  }

  /** The folder's waiting objects that its marker (last modified at `markerMs`, undefined when absent) makes ready. */
  private readyIn(folder: string, markerMs: number | undefined, now: number): LandingInput[] {
    const markerObs = markerMs === undefined ? undefined : { size: 0, mtimeMs: markerMs, at: now };
    return this.waitingIn(folder).filter((landing) => markerDecision({ size: landing.size, mtimeMs: landing.mtimeMs ?? 0, at: now }, markerObs, this.options.config.interval).ready);
  }

  /**
   * Takes in the objects directly in `folder` (a new version recorded as seen, in place of the
   * one waiting) and returns their keys. The cursor stays where it is: it marks how far the
   * whole prefix was listed, which a folder's listing says nothing of.
   */
  private async listFolder(folder: string, markers: Map<string, number>): Promise<Set<string>> {
    const { client, config } = this.options;
    const listed = new Set<string>();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: folder, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }));
      const objects = (page.Contents ?? []).map(toListed).filter((object): object is Listed => object !== undefined);
      await this.takeIn(objects, markers, listed);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && !this.closed);
    return listed;
  }

  /** The marker's last-modified time (from a listing, as precise as the object's), or undefined when absent. */
  private async markerModified(folder: string): Promise<number | undefined> {
    const { client, config } = this.options;
    const key = `${folder}${config.ready.marker}`;
    const page = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: key, MaxKeys: 1 }));
    const found = page.Contents?.[0];
    return found?.Key === key ? (found.LastModified?.getTime() ?? 0) : undefined;
  }

  private async ready(landing: LandingInput): Promise<void> {
    const { state } = await this.options.ledger.markReady(landing);
    this.known.set(landing.path, landing.fingerprint);
    if (this.pending.get(landing.path)?.fingerprint === landing.fingerprint) this.pending.delete(landing.path);
    if (state !== 'ready') {
      this.options.log.debug({ source: this.id, path: landing.path, fingerprint: landing.fingerprint, state }, 'landing already processed');
      return;
    }
    this.options.log.debug({ source: this.id, path: landing.path, fingerprint: landing.fingerprint, size: landing.size }, 'landing ready');
    this.emit('ready', readyLanding(landing));
  }

  private landingInput(object: Listed, fingerprint: string): LandingInput {
    return {
      fingerprint,
      source: this.id,
      path: object.key,
      uri: `s3://${this.options.config.bucket}/${object.key}`,
      size: object.size,
      mtimeMs: object.lastModifiedMs,
      etag: object.etag,
    };
  }

  private async loadPending(): Promise<void> {
    for await (const record of this.options.ledger.each({ source: this.id, state: 'seen' })) {
      const { fingerprint, source, path, uri, size, mtimeMs, etag } = record;
      this.pending.set(path, { fingerprint, source, path, uri, size, ...(mtimeMs !== undefined ? { mtimeMs } : {}), ...(etag !== undefined ? { etag } : {}) });
    }
  }

  /** Emits the source's landings the ledger holds as ready since before `before` (ms). */
  private async reemitReady(before: number): Promise<void> {
    for await (const record of this.options.ledger.each({ source: this.id, state: 'ready' })) {
      if (record.readyAt === undefined || Date.parse(record.readyAt) < before) this.emit('ready', readyLanding(record));
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private failed(message: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.options.log.warn({ source: this.id, ...fields, err: error }, message);
    // An 'error' event without a listener would throw; the log line is enough then.
    if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}

function toListed(object: _Object): Listed | undefined {
  if (object.Key === undefined) return undefined;
  return { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '', lastModifiedMs: object.LastModified?.getTime() ?? 0 };
}
