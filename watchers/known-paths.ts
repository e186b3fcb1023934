// What an fs source remembers of every path the ledger knows (the path's last ready or
// touched version), held compactly: a source over 100,000 files keeps this table for as long
// as it runs, so it is sized per path, not per object. It holds only what an event or a
// rescan needs for every file: "is this the version I know?" (size and mtime) and, when the
// file goes away, which landing the path belonged to (the fingerprint). The inode and the
// content sample, needed only when a known file changed, are read from the ledger then.
//
// One Map from path to a slot number, and the fields in columns by slot:
//   size, mtimeMs   Float64Array, 8 B each: exact integers up to 2^53 (a size may pass
//                   2^32, an mtime in ms does)
//   fingerprint     20 B of one Buffer: the 40 hex digits of fsFingerprint, as bytes
//   listed          Uint32Array, 4 B: the listing that last saw the path (see beginListing)
// That is 40 B a path, plus the Map's entry (~30 B) and the path string (~35 B for
// "d-042/f-00042.parquet"): ~105 B by this count, against ~350 B for a Map of PathRecord
// objects, each with two 40-character strings of its own (that one from a heap snapshot). The columns double when full, so up to half of
// them may be spare (100,000 paths: 131,072 slots, 5 MB). A fingerprint that is not 40
// lowercase hex digits (none is today; a ledger written by another version might hold one)
// is kept whole in a side Map, so nothing read from the ledger is ever changed.
import type { FileStat } from './fingerprint.ts';

/** The part of a path's record this table keeps. */
export type KnownVersion = { fingerprint: string; size: number; mtimeMs: number };

const HEX_BYTES = 20;
const HEX_40 = /^[0-9a-f]{40}$/;
/** Room for this many paths at first; the columns double when full (a doubling copies them once). */
const INITIAL_SLOTS = 1_024;

/**
 * A copy of the string that holds only its own characters. A path cut out of a longer one
 * ("/landing/root/" + path) is a slice in V8 that keeps the whole longer string alive: kept
 * as a key for each of 100,000 files, that doubles what the keys cost.
 */
export const ownCopy = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

export class KnownPaths {
  private readonly slots = new Map<string, number>();
  /** Slots of deleted paths, reused before the columns grow. */
  private readonly free: number[] = [];
  private capacity = 0;
  private used = 0;
  private sizes = new Float64Array(0);
  private mtimes = new Float64Array(0);
  private fingerprints = Buffer.alloc(0);
  private listedIn = new Uint32Array(0);
  /** Fingerprints that are not 40 hex digits, by slot (expected empty). */
  private readonly oddFingerprints = new Map<number, string>();
  private listing = 0;

  get size(): number {
    return this.slots.size;
  }

  has(path: string): boolean {
    return this.slots.has(path);
  }

  /** True when the file's size and mtime are those of the known version: nothing to do. */
  isKnownVersion(path: string, file: FileStat): boolean {
    const slot = this.slots.get(path);
    return slot !== undefined && this.sizes[slot] === file.size && this.mtimes[slot] === Math.floor(file.mtimeMs);
  }

  get(path: string): KnownVersion | undefined {
    const slot = this.slots.get(path);
    if (slot === undefined) return undefined;
    return { fingerprint: this.fingerprintAt(slot), size: this.sizes[slot]!, mtimeMs: this.mtimes[slot]! };
  }

  /** Records (or replaces) the path's version; the path counts as listed by the listing under way. */
  set(path: string, version: KnownVersion): void {
    let slot = this.slots.get(path);
    if (slot === undefined) {
      slot = this.allocate();
      this.slots.set(ownCopy(path), slot);
    }
    this.sizes[slot] = version.size;
    this.mtimes[slot] = version.mtimeMs;
    this.listedIn[slot] = this.listing;
    this.oddFingerprints.delete(slot);
    if (HEX_40.test(version.fingerprint)) this.fingerprints.write(version.fingerprint, slot * HEX_BYTES, HEX_BYTES, 'hex');
    else this.oddFingerprints.set(slot, version.fingerprint);
  }

  /** Forgets the path; returns the fingerprint it had, or undefined when it was not known. */
  delete(path: string): string | undefined {
    const slot = this.slots.get(path);
    if (slot === undefined) return undefined;
    const fingerprint = this.fingerprintAt(slot);
    this.slots.delete(path);
    this.oddFingerprints.delete(slot);
    this.free.push(slot);
    return fingerprint;
  }

  /** The known paths under a folder ("" for all), for forgetting a folder that went away. */
  pathsUnder(folder: string): string[] {
    const prefix = folder === '' ? '' : `${folder}/`;
    const paths: string[] = [];
    for (const path of this.slots.keys()) if (path.startsWith(prefix)) paths.push(path);
    return paths;
  }

  /**
   * A full listing starts: paths it sees (markListed) or that are recorded meanwhile (set)
   * count as present; unlisted() then names the others, without a second set of 100,000 paths.
   */
  beginListing(): void {
    this.listing = (this.listing + 1) >>> 0;
  }

  markListed(path: string): void {
    const slot = this.slots.get(path);
    if (slot !== undefined) this.listedIn[slot] = this.listing;
  }

  /** The known paths the listing under way has not seen (collected first: the caller deletes them). */
  unlisted(): string[] {
    const paths: string[] = [];
    for (const [path, slot] of this.slots) if (this.listedIn[slot] !== this.listing) paths.push(path);
    return paths;
  }

  private fingerprintAt(slot: number): string {
    return this.oddFingerprints.get(slot) ?? this.fingerprints.toString('hex', slot * HEX_BYTES, (slot + 1) * HEX_BYTES);
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.capacity) this.grow(Math.max(INITIAL_SLOTS, this.capacity * 2));
    return this.used++;
  }

  private grow(capacity: number): void {
    const grown = <T extends Float64Array | Uint32Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.sizes = grown(this.sizes, new Float64Array(capacity));
    this.mtimes = grown(this.mtimes, new Float64Array(capacity));
    this.listedIn = grown(this.listedIn, new Uint32Array(capacity));
    this.fingerprints = grown(this.fingerprints, Buffer.alloc(capacity * HEX_BYTES));
    this.capacity = capacity;
  }
}
