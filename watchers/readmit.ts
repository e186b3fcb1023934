// Re-admitting a quarantined landing once its file is fixed (POST /v1/landings/{fingerprint}/readmit):
// the file goes back from the quarantine location to where it landed, its `.reason.txt` is
// removed, and the landing becomes ready again — announced like a release, so the watch role
// checks its footer at the door and batches it at once (no wait for a rescan).
//
//   quarantined? ──► a pipeline watches its source? ──► where is the file?
//     in a quarantine location ──► path free? ──► claim the path index ──► move back ──► ledger
//     where it landed already (no quarantine location, or put back by hand or by a first click)
//       ──► still this landing's version? ──► ledger
//
// Only places the configuration names are touched: the landing's location must be the one its
// source's root (fs) or bucket and prefix (s3) gives for its path, and the quarantine file the
// one a pipeline's `after.quarantine` gives (watchers/quarantine.ts puts it there). The file
// moves before the ledger changes: when the move fails, the ledger is as it was (the path
// index claimed for the move is given back). Safe to repeat: a second call finds the file back
// in place and the landing no longer quarantined, and changes nothing.
//
// The fingerprint stays the landing's identity even when the file put back is a fixed one
// (new size and mtime): the record and the source's path index take the file's new stat, so
// the source, seeing the file appear, knows it as this landing rather than a new one.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConflictError, NotFoundError, OperationalError } from '../broker/core/errors.ts';
import { sourceId, type FsSource, type S3Source } from '../broker/core/landing-config.ts';
import type { Pipeline } from '../broker/core/pipeline.ts';
import { isInside } from '../broker/jobs/input-paths.ts';
import { contentSample, type PathRecord } from './fingerprint.ts';
import { besideName, joinLocation, type LandingFiles } from './landing-files.ts';
import type { LandingLedger, LandingRecord, RestoredFile } from './landing-ledger.ts';

export type ReadmitDeps = {
  ledger: Pick<LandingLedger, 'get' | 'readmit' | 'claimPath' | 'forgetPath' | 'pathRecord'>;
  files: Pick<LandingFiles, 'exists' | 'move' | 'remove'>;
  pipelines: ReadonlyArray<Pick<Pipeline, 'sources' | 'after'>>;
};

/** A file operation of the re-admit failed (a mount or S3 problem); nothing was changed in the ledger. */
export class ReadmitFileError extends OperationalError {}

/** Where the landing's file was found. */
type Found = { where: 'quarantine'; at: string } | { where: 'landed' };

/** Re-admits the quarantined landing `fingerprint` on behalf of `by`; returns the landing as it now is. */
export async function readmitLanding(deps: ReadmitDeps, fingerprint: string, by: string): Promise<LandingRecord> {
  const landing = await deps.ledger.get(fingerprint);
  if (!landing) throw new NotFoundError('landing', fingerprint);
  if (landing.state !== 'quarantined') throw notQuarantined(landing);
  const source = watchingSource(deps.pipelines, landing);
  const quarantinePaths = quarantinePathsOf(deps.pipelines, landing);

  const found = await fileOps(`look for ${landing.path}`, () => findFile(deps.files, landing, quarantinePaths));
  let restored: RestoredFile | undefined;
  if (found.where === 'quarantine') {
    restored = await putBack(deps, landing, source, found.at);
  } else {
    restored = await checkInPlace(deps, landing, source);
  }
  // Beside wherever the file was: put back by hand, the reason file may still be there.
  await fileOps('remove the reason file', async () => {
    for (const path of quarantinePaths) await deps.files.remove(`${path}.reason.txt`);
  });

  const result = await deps.ledger.readmit(fingerprint, by, restored);
  if (!result.changed) {
    // Another call moved it meanwhile (a double click): nothing more to do, say what it is now.
    const now = await deps.ledger.get(fingerprint);
    if (!now) throw new NotFoundError('landing', fingerprint);
    throw notQuarantined(now);
  }
  return (await deps.ledger.get(fingerprint))!;
}

function notQuarantined(landing: LandingRecord): ConflictError {
  return new ConflictError(
    'landing-not-quarantined',
    `landing "${landing.fingerprint}" (${landing.path}) is ${landing.state}, not quarantined; only a quarantined landing can be re-admitted`,
  );
}

/** The configuration of the landing's source, as the first pipeline that watches it names it. */
function watchingSource(pipelines: ReadmitDeps['pipelines'], landing: LandingRecord): FsSource | S3Source {
  for (const pipeline of pipelines) {
    const source = pipeline.sources.find((candidate) => sourceId(candidate) === landing.source);
    if (!source) continue;
    if (landing.uri !== landedUri(source, landing.path)) {
      throw new ConflictError(
        'landing-outside-source',
        `landing "${landing.fingerprint}" is recorded at ${landing.uri}, which is not where source "${landing.source}" puts ${landing.path}; it is not moved`,
      );
    }
    return source;
  }
  throw new ConflictError(
    'landing-source-unwatched',
    `no pipeline watches source "${landing.source}" any more, so nothing would batch landing "${landing.fingerprint}"; add the source back to a pipeline first`,
  );
}

/** Where the source puts `path`, built from its configured root; refuses a path that would leave it. */
function landedUri(source: FsSource | S3Source, path: string): string {
  if (source.kind === 's3') {
    if (!path.startsWith(source.prefix)) return '';
    return confinedJoin(`s3://${source.bucket}`, path);
  }
  return confinedJoin(source.path, path);
}

/** `location` + `relative`, refusing a relative path with empty, "." or ".." parts (it could leave the location). */
function confinedJoin(location: string, relative: string): string {
  const parts = relative.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new ConflictError('landing-path-unsafe', `the landing path "${relative}" has an empty, "." or ".." part; it is not moved`);
  }
  const joined = joinLocation(location, relative);
  if (location.startsWith('/') && !isInside(resolve(location), resolve(joined))) {
    throw new ConflictError('landing-path-unsafe', `the landing path "${relative}" leads outside ${location}; it is not moved`);
  }
  return joined.startsWith('/') ? join(joined) : joined;
}

/**
 * Where quarantine may have put the landing's file: the name recorded on the landing when it
 * was moved (quarantine.ts: `<path>`, or beside a namesake `<stem>.<fingerprint 12><.ext>`),
 * when it is one of those names under a configured quarantine location; else, for a landing
 * quarantined before names were recorded, `<path>` under each location.
 */
function quarantinePathsOf(pipelines: ReadmitDeps['pipelines'], landing: LandingRecord): string[] {
  const plain = quarantineLocations(pipelines, landing).map((location) => confinedJoin(location, landing.path));
  const recorded = landing.movedTo;
  if (recorded && plain.some((path) => recorded === path || recorded === besideName(path, landing.fingerprint))) return [recorded];
  return plain;
}

/** The distinct quarantine locations of the pipelines that watch the landing's source. */
function quarantineLocations(pipelines: ReadmitDeps['pipelines'], landing: LandingRecord): string[] {
  const locations = new Set<string>();
  for (const pipeline of pipelines) {
    if (!pipeline.after.quarantine) continue;
    if (pipeline.sources.some((source) => sourceId(source) === landing.source)) locations.add(pipeline.after.quarantine);
  }
  return [...locations];
}

async function findFile(files: ReadmitDeps['files'], landing: LandingRecord, quarantinePaths: string[]): Promise<Found> {
  for (const path of quarantinePaths) if (await files.exists(path)) return { where: 'quarantine', at: path };
  if (await files.exists(landing.uri)) return { where: 'landed' };
  const places = [...quarantinePaths, landing.uri].join(', ');
  throw new ConflictError('landing-file-missing', `the file of landing "${landing.fingerprint}" is in none of its places (${places}); put the fixed file back in one of them`);
}

/** Moves the quarantined file back where it landed; returns what the ledger should record of it. */
async function putBack(deps: ReadmitDeps, landing: LandingRecord, source: FsSource | S3Source, from: string): Promise<RestoredFile | undefined> {
  if (await fileOps(`look at ${landing.uri}`, () => deps.files.exists(landing.uri))) {
    throw new ConflictError(
      'landing-path-occupied',
      `a file is already at ${landing.uri} (it lands as a landing of its own); move it away first to put the quarantined file of landing "${landing.fingerprint}" back`,
    );
  }
  if (source.kind === 's3') {
    // S3 sources list by a cursor past this key: the object put back is not listed again as new.
    await fileOps(`move ${from} back to ${landing.uri}`, () => deps.files.move(from, landing.uri));
    return undefined;
  }
  const move = () => fileOps(`move ${from} back to ${landing.uri}`, () => deps.files.move(from, landing.uri));
  if (!from.startsWith('/')) {
    // From an S3 quarantine: the file's stat is known only once it is back, so the path is
    // claimed just after (a source that looks in between would take it as new).
    await move();
    const version = await fileOps(`read ${landing.uri}`, () => fsVersion(landing, landing.uri));
    if (!(await deps.ledger.claimPath(landing.source, landing.path, version))) throw superseded(landing);
    return restoredOf(version);
  }
  const before = await fileOps(`read ${from}`, () => fsVersion(landing, from));
  // Claimed first, so that the source, seeing the file appear, finds it is this landing's version.
  const previous = await deps.ledger.pathRecord(landing.source, landing.path);
  if (!(await deps.ledger.claimPath(landing.source, landing.path, before))) throw superseded(landing);
  try {
    await move();
  } catch (error) {
    // The path index as it was (usually without the path: the source forgot it when the file left).
    if (previous) await deps.ledger.claimPath(landing.source, landing.path, previous);
    else await deps.ledger.forgetPath(landing.source, landing.path, landing.fingerprint);
    throw error;
  }
  // A move across filesystems copies: the file put back has a new inode and mtime.
  const after = await fileOps(`read ${landing.uri}`, () => fsVersion(landing, landing.uri, before.sample));
  if (after.mtimeMs !== before.mtimeMs || after.ino !== before.ino) await deps.ledger.claimPath(landing.source, landing.path, after);
  return restoredOf(after);
}

/** The file is where it landed: it must still be this landing's version (else the source has it as a new one). */
async function checkInPlace(deps: ReadmitDeps, landing: LandingRecord, source: FsSource | S3Source): Promise<RestoredFile | undefined> {
  const known = await deps.ledger.pathRecord(landing.source, landing.path);
  if (known && known.fingerprint !== landing.fingerprint) throw superseded(landing);
  if (source.kind === 's3') return undefined;
  if (known) {
    const now = await fileOps(`read ${landing.uri}`, () => stat(landing.uri));
    if (now.size !== known.size || Math.floor(now.mtimeMs) !== known.mtimeMs) {
      throw new ConflictError(
        'landing-file-changed',
        `the file at ${landing.uri} changed since landing "${landing.fingerprint}" was quarantined; the watcher takes the new version in as a landing of its own`,
      );
    }
    return undefined;
  }
  // Put back by hand (the source forgot the path when the file left): the file as it is now is this landing's version.
  const version = await fileOps(`read ${landing.uri}`, () => fsVersion(landing, landing.uri));
  if (!(await deps.ledger.claimPath(landing.source, landing.path, version))) throw superseded(landing);
  return restoredOf(version);
}

function superseded(landing: LandingRecord): ConflictError {
  return new ConflictError(
    'landing-superseded',
    `a newer file has landed at ${landing.path} of source "${landing.source}" since landing "${landing.fingerprint}" was quarantined; that one is taken in on its own`,
  );
}

/** The path record of the file at `path`, as this landing's version (the content sample is read unless given). */
async function fsVersion(landing: LandingRecord, path: string, sample?: string): Promise<PathRecord & { sample: string }> {
  const stats = await stat(path);
  return { fingerprint: landing.fingerprint, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino, sample: sample ?? (await contentSample(path, stats.size)) };
}

const restoredOf = (version: PathRecord): RestoredFile => ({
  size: version.size,
  mtimeMs: version.mtimeMs,
  ino: version.ino,
  ...(version.sample !== undefined ? { sample: version.sample } : {}),
});

/** Runs a file operation; a failure becomes a ReadmitFileError naming what was being done. */
async function fileOps<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ConflictError || error instanceof ReadmitFileError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReadmitFileError(`could not ${what}: ${reason}`, { cause: error });
  }
}
