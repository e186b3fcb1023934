// The fs source on real folders and a real redis-server: slow writes are emitted once, after
// the last write; files present before start are caught up; rewrites are new landings,
// touches are not; marker and rename rules; symlinks out of the root are refused (a symlinked
// folder once, without listing it); a symlink loop stops nothing; a folder made again is
// watched again; a file seen mid-write that goes leaves no seen landing behind. The polling
// variant stands in for an SMB/NFS mount.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsSource } from '../../watchers/fs-source.ts';
import type { ReadyLanding } from '../../watchers/landing-ledger.ts';
import { LandingLedger } from '../../watchers/landing-ledger.ts';
import type { LandingState } from '../../watchers/landing-keys.ts';
import { FsSourceSchema } from '../../broker/core/landing-config.ts';
import { RedisServer } from '../harness/redis-server.ts';
import { waitFor } from '../harness/wait-for.ts';

/** The case is 10 s; 4 s keeps the suite short and still spans several quiet periods. */
const SLOW_WRITE_MS = 4_000;
const QUIET_MS = 1_000;
/** The production defaults (2 s quiet and polling interval, 5-minute rescan): what no case may wait for is the rescan. */
const DEFAULTS = { interval: '2s', ready: {} };

let server: RedisServer;
let redis: Redis;
let ledger: LandingLedger;
let dir: string;
let root: string;
const sources: FsSource[] = [];
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

beforeEach(async () => {
  await redis.flushall();
  ledger = new LandingLedger(redis, 'sluice');
  dir = await mkdtemp(join(tmpdir(), 'sluice-fs-source-'));
  root = join(dir, 'landing');
  await mkdir(root);
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.close()));
  await rm(dir, { recursive: true, force: true });
});

type Seen = { landing: ReadyLanding; at: number };

async function startSource(config: Record<string, unknown> = {}): Promise<{ source: FsSource; ready: Seen[]; refused: string[]; reasons: string[]; touched: string[] }> {
  const parsed = FsSourceSchema.parse({ kind: 'fs', id: 'harp', path: root, interval: '200ms', ready: { quiet: QUIET_MS }, ...config });
  const source = new FsSource({ config: parsed, ledger, log });
  const ready: Seen[] = [];
  const refused: string[] = [];
  const reasons: string[] = [];
  const touched: string[] = [];
  source.on('ready', (landing) => ready.push({ landing, at: Date.now() }));
  source.on('refused', (path, reason) => (refused.push(path), reasons.push(reason)));
  source.on('touched', (path) => touched.push(path));
  sources.push(source);
  await source.start();
  return { source, ready, refused, reasons, touched };
}

const waitForCount = (what: string, list: unknown[], count: number, timeoutMs = 15_000) =>
  waitFor(what, async () => (list.length >= count ? true : undefined), timeoutMs, 50);

const landingsIn = async (state: LandingState): Promise<number> => (await ledger.countByState('harp'))[state];
const waitForSeen = (what: string, count: number, timeoutMs = 10_000) =>
  waitFor(what, async () => ((await landingsIn('seen')) === count ? true : undefined), timeoutMs, 50);

// The third case polls less often than the quiet period, as a slow network mount does: events
// no longer reset the wait, and only the rule's second stat keeps the partial file back.
describe.each([
  { mode: 'native events', polling: false, interval: '200ms' },
  { mode: 'polling (network mount)', polling: true, interval: '200ms' },
  { mode: 'polling slower than the quiet period', polling: true, interval: '3s' },
])('stable rule, $mode', ({ polling, interval }) => {
  it('emits a file written slowly in chunks once, after the last write', async () => {
    const { ready } = await startSource({ polling, interval });
    const file = join(root, 'slow.parquet');
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = 10;
    let lastWriteAt = 0;
    for (let i = 0; i < chunks; i += 1) {
      await appendFile(file, chunk);
      lastWriteAt = Date.now();
      expect(ready, `emitted after chunk ${i}`).toEqual([]);
      await sleep(SLOW_WRITE_MS / chunks);
    }
    await waitForCount('the slow file', ready, 1);
    expect(ready[0]!.at).toBeGreaterThanOrEqual(lastWriteAt + QUIET_MS);
    expect(ready[0]!.landing).toMatchObject({ path: 'slow.parquet', size: chunks * chunk.length, source: 'harp' });
    await sleep(QUIET_MS * 2.5);
    expect(ready).toHaveLength(1);
    expect((await ledger.get(ready[0]!.landing.fingerprint))?.state).toBe('ready');
    expect(await ledger.countByState('harp')).toMatchObject({ seen: 0, ready: 1 });
  });
});

describe('catch-up and restarts', () => {
  it('emits files present before start, and nothing again after a restart once they were batched', async () => {
    await mkdir(join(root, '2025', '01'), { recursive: true });
    const names = ['a.parquet', 'b.parquet', '2025/01/c.parquet', '2025/01/notes.txt', '_temporary/d.parquet', '.hidden.parquet'];
    for (const name of names) {
      await mkdir(join(root, name, '..'), { recursive: true });
      await writeFile(join(root, name), `content of ${name}`);
    }
    const first = await startSource();
    await waitForCount('the catch-up files', first.ready, 3);
    await sleep(QUIET_MS * 1.5);
    expect(first.ready.map((seen) => seen.landing.path).sort()).toEqual(['2025/01/c.parquet', 'a.parquet', 'b.parquet']);
    await first.source.close();

    // Restarted before the batcher took them: ready landings are handed over again.
    const second = await startSource();
    expect(second.ready.map((seen) => seen.landing.path).sort()).toEqual(['2025/01/c.parquet', 'a.parquet', 'b.parquet']);
    await ledger.claimForBatch(second.ready.map((seen) => seen.landing.fingerprint), 'batch-1');
    await second.source.close();

    const third = await startSource();
    await sleep(QUIET_MS * 2.5);
    expect(third.ready).toEqual([]);
    expect(third.source.pending).toBe(0);
  });

  it('picks up on a rescan what the events missed, and forgets vanished paths', async () => {
    const { source, ready } = await startSource({ rescan: '1h' });
    await writeFile(join(root, 'a.parquet'), 'a');
    await waitForCount('a.parquet', ready, 1);
    expect((await ledger.knownPaths('harp')).has('a.parquet')).toBe(true);
    await source.close();
    // Deleted while no watcher ran: the next listing forgets the path.
    await rm(join(root, 'a.parquet'));
    const restarted = await startSource({ rescan: '1h' });
    await restarted.source.rescan();
    await waitFor('the path to be forgotten', async () => ((await ledger.knownPaths('harp')).has('a.parquet') ? undefined : true), 5_000, 50);
  });
});

describe('rewrites and touches', () => {
  it('emits a path rewritten with new content again, with a new fingerprint', async () => {
    const { ready } = await startSource();
    const file = join(root, 'daily.parquet');
    await writeFile(file, 'PAR1 version one PAR1');
    await waitForCount('the first version', ready, 1);
    // Same size, different bytes, written in place (same inode).
    await writeFile(file, 'PAR1 version two PAR1');
    await waitForCount('the second version', ready, 2);
    expect(ready[1]!.landing.fingerprint).not.toBe(ready[0]!.landing.fingerprint);
    expect(ready[1]!.landing.size).toBe(ready[0]!.landing.size);
  });

  it('does not emit a file touched only (same content), by default', async () => {
    const { ready, touched } = await startSource();
    const file = join(root, 'daily.parquet');
    await writeFile(file, 'PAR1 the content PAR1');
    await waitForCount('the file', ready, 1);
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    await waitForCount('the touch to be checked', touched, 1);
    await sleep(QUIET_MS * 1.5);
    expect(ready).toHaveLength(1);
    expect(touched).toEqual(['daily.parquet']);
  });

  it('emits a touched file again with touch_is_new: true', async () => {
    const { ready, touched } = await startSource({ touch_is_new: true });
    const file = join(root, 'daily.parquet');
    await writeFile(file, 'PAR1 the content PAR1');
    await waitForCount('the file', ready, 1);
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    await waitForCount('the touched file', ready, 2);
    expect(touched).toEqual([]);
  });
});

describe('marker and rename rules', () => {
  it('marker: waits for _SUCCESS in the folder', async () => {
    const { ready } = await startSource({ ready: { rule: 'marker' } });
    await mkdir(join(root, 'run-1'));
    await writeFile(join(root, 'run-1', 'part-0.parquet'), 'zero');
    await writeFile(join(root, 'run-1', 'part-1.parquet'), 'one');
    await sleep(QUIET_MS * 2);
    expect(ready).toEqual([]);
    await writeFile(join(root, 'run-1', '_SUCCESS'), '');
    await waitForCount('both parts', ready, 2, 5_000);
    expect(ready.map((seen) => seen.landing.path).sort()).toEqual(['run-1/part-0.parquet', 'run-1/part-1.parquet']);
  });

  it('rename: ignores the temporary name and takes the final name on sight', async () => {
    const { ready } = await startSource({ ready: { rule: 'rename' } });
    const temp = join(root, 'a.parquet.tmp');
    await writeFile(temp, 'first half');
    await sleep(QUIET_MS * 1.5);
    await appendFile(temp, ' second half');
    await sleep(QUIET_MS * 1.5);
    expect(ready).toEqual([]);
    const renamedAt = Date.now();
    await rename(temp, join(root, 'a.parquet'));
    await waitForCount('the renamed file', ready, 1, 5_000);
    expect(ready[0]!.landing.path).toBe('a.parquet');
    // On sight: well under the quiet period of the stable rule.
    expect(ready[0]!.at - renamedAt).toBeLessThan(QUIET_MS);
  });
});

describe('confinement', () => {
  it('refuses a symlink that leads outside the root, and takes one that stays inside', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.parquet'), 'not yours');
    await writeFile(join(root, 'real.parquet'), 'yours');
    await symlink(join(outside, 'secret.parquet'), join(root, 'escape.parquet'));
    await symlink(join(root, 'real.parquet'), join(root, 'alias.parquet'));
    const { ready, refused } = await startSource();
    await waitForCount('the refusal', refused, 1);
    await waitForCount('the files inside', ready, 2);
    await sleep(QUIET_MS);
    expect(refused).toEqual(['escape.parquet']);
    expect(ready.map((seen) => seen.landing.path).sort()).toEqual(['alias.parquet', 'real.parquet']);
    expect(ready.some((seen) => seen.landing.uri.includes('outside'))).toBe(false);
    expect((await ledger.list({ limit: 10 })).items.map((record) => record.path).sort()).toEqual(['alias.parquet', 'real.parquet']);
  });

  // `ln -s / root/x` must not have every rescan list (and watch) the whole disk, refusing it a
  // file at a time. At the production defaults (2 s quiet and polling interval).
  it.each([
    { mode: 'native events', polling: false },
    { mode: 'polling (network mount)', polling: true },
  ])('refuses a symlinked folder that leads outside the root once, and lists nothing under it ($mode)', async ({ polling }) => {
    const outside = join(dir, 'outside');
    await mkdir(join(outside, 'deep'), { recursive: true });
    await writeFile(join(outside, 'secret.parquet'), 'not yours');
    await writeFile(join(outside, 'deep', 'deeper.parquet'), 'not yours either');
    await writeFile(join(root, 'real.parquet'), 'yours');
    await symlink(outside, join(root, 'escape'));
    const { source, ready, refused, reasons } = await startSource({ ...DEFAULTS, polling });
    await writeFile(join(root, 'later.parquet'), 'yours too');
    await waitForCount('the files inside', ready, 2);
    await source.rescan();
    expect(refused).toEqual(['escape']);
    expect(reasons).toEqual(['symlinked folder leads outside the source root']);
    // The rescan hands the ready landings (not batched here) to the batcher again.
    expect([...new Set(ready.map((seen) => seen.landing.path))].sort()).toEqual(['later.parquet', 'real.parquet']);
    expect((await ledger.list({ limit: 10 })).items.map((record) => record.path).sort()).toEqual(['later.parquet', 'real.parquet']);
  });
});

// A file recorded seen (waiting for its rule) that goes before it is ready must not stay
// listed as waiting. The marker rule records a part seen at its first check, one polling
// interval after it appears (2 s at the defaults), whatever the events: a Spark run that
// aborts deletes its output folder, with no _SUCCESS ever written.
describe('seen landings whose files went', () => {
  const MARKER = { ...DEFAULTS, ready: { rule: 'marker' } };
  /** A part in run-1 (the one that goes) and one in run-2, still being written (no _SUCCESS yet): its seen landing stays. */
  const writeRunsSeen = async (): Promise<void> => {
    for (const run of ['run-1', 'run-2']) await mkdir(join(root, run));
    for (const run of ['run-1', 'run-2']) await writeFile(join(root, run, 'part-0.parquet'), run);
    await waitForSeen('both parts to be seen', 2);
  };

  it.each([
    { how: 'the part deleted', mode: 'native events', polling: false, remove: () => rm(join(root, 'run-1', 'part-0.parquet')) },
    { how: 'its folder removed', mode: 'native events', polling: false, remove: () => rm(join(root, 'run-1'), { recursive: true }) },
    { how: 'the part renamed out of the root', mode: 'native events', polling: false, remove: () => rename(join(root, 'run-1', 'part-0.parquet'), join(dir, 'part-0.parquet')) },
    { how: 'the part deleted', mode: 'polling (network mount)', polling: true, remove: () => rm(join(root, 'run-1', 'part-0.parquet')) },
  ])('removes the seen landing of a part gone before it was ready: $how ($mode)', async ({ polling, remove }) => {
    await startSource({ ...MARKER, polling });
    await writeRunsSeen();
    await remove();
    await waitForSeen("the gone part's seen landing to be removed", 1);
    expect((await ledger.list({ source: 'harp', limit: 10 })).items.map((record) => record.path)).toEqual(['run-2/part-0.parquet']);
    expect(await redis.hkeys(ledger.keys.seenPaths('harp'))).toEqual(['run-2/part-0.parquet']);
  });

  // A restarted source at the production defaults: the start-up listing forgets nothing (a
  // slow mount must not lose a path), the first rescan (every 5 minutes; called here) sweeps.
  it('removes, at the first rescan after a restart, the seen landing of a part that went while no source ran', async () => {
    const first = await startSource(MARKER);
    await writeRunsSeen();
    await first.source.close();
    await rm(join(root, 'run-1', 'part-0.parquet'));

    const restarted = await startSource(MARKER);
    expect(await landingsIn('seen')).toBe(2);
    await restarted.source.rescan();
    await waitForSeen("the gone part's seen landing to be removed", 1);
    expect((await ledger.list({ source: 'harp', limit: 10 })).items.map((record) => record.path)).toEqual(['run-2/part-0.parquet']);
    expect(await redis.hkeys(ledger.keys.seenPaths('harp'))).toEqual(['run-2/part-0.parquet']);
  });

  // One entry that cannot be stat-ed (a file on a sick mount answers EIO or ESTALE, one the
  // watcher may not read EACCES; as root, a link to a name too long stands in) hides at most
  // itself: the rest of the listing still tells what went.
  it('removes at the rescan the seen landing of a part that went, though an entry elsewhere cannot be stat-ed', async () => {
    const first = await startSource(MARKER);
    await writeRunsSeen();
    await first.source.close();
    await rm(join(root, 'run-1', 'part-0.parquet'));
    await mkdir(join(root, 'other'));
    await symlink('n'.repeat(300), join(root, 'other', 'part-9.parquet'));

    const restarted = await startSource(MARKER);
    await restarted.source.rescan();
    await waitForSeen("the gone part's seen landing to be removed", 1);
    expect(await redis.hkeys(ledger.keys.seenPaths('harp'))).toEqual(['run-2/part-0.parquet']);
  });
});

describe('what one folder or entry does to the rest', () => {
  it.each([
    { mode: 'native events', polling: false },
    { mode: 'polling (network mount)', polling: true },
  ])('a symlink loop under the root stops nothing: the source starts, and files around it land ($mode)', async ({ polling }) => {
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'one.parquet'), 'one');
    await symlink('loop', join(root, 'loop'));
    const { ready } = await startSource({ ...DEFAULTS, polling });
    await writeFile(join(root, 'sub', 'two.parquet'), 'two');
    await waitForCount('both files', ready, 2, 10_000);
    expect(ready.map((seen) => seen.landing.path).sort()).toEqual(['sub/one.parquet', 'sub/two.parquet']);
  });

  it.each([
    { how: 'rm -rf in && mkdir in', replace: () => (rmSync(join(root, 'in'), { recursive: true }), mkdirSync(join(root, 'in'))) },
    { how: 'mv in in.old && mkdir in', replace: () => (renameSync(join(root, 'in'), join(root, 'in.old')), mkdirSync(join(root, 'in'))) },
  ])('a folder made again at once ($how) is watched again: a file landing in it is ready in seconds', async ({ replace }) => {
    await mkdir(join(root, 'in'));
    const { ready } = await startSource(DEFAULTS);
    replace();
    await writeFile(join(root, 'in', 'new.parquet'), 'new');
    await waitForCount('the file in the new folder', ready, 1, 10_000);
    expect(ready.map((seen) => seen.landing.path)).toEqual(['in/new.parquet']);
  });
});

describe('what on-call is told, and names not skipped silently', () => {
  /** A source whose log lines are kept (pino writes each as one JSON line). */
  async function loggedSource(config: Record<string, unknown>, statfs?: (path: string) => Promise<{ type: number }>) {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const parsed = FsSourceSchema.parse({ kind: 'fs', id: 'harp', path: root, ...config });
    const source = new FsSource({ config: parsed, ledger, log: logger, pipelineFile: '/etc/sluice/pipelines/harp.yaml', statfs });
    const ready: string[] = [];
    source.on('ready', (landing) => ready.push(landing.path));
    sources.push(source);
    await source.start();
    return { ready, lines };
  }

  it('takes EXPORT.PARQUET (a Windows producer\'s name) with the default include "**/*.parquet"', async () => {
    await writeFile(join(root, 'EXPORT.PARQUET'), 'from windows');
    const { ready } = await loggedSource(DEFAULTS);
    await waitFor('the upper-case file ready', async () => (ready.length === 1 ? true : undefined), 10_000, 50);
    expect(ready).toEqual(['EXPORT.PARQUET']);
  });

  it('says once per listing how many entries it skipped as hidden, with one for example', async () => {
    await mkdir(join(root, '_temporary'));
    await writeFile(join(root, '_temporary', 'part-0.parquet'), 'x');
    await writeFile(join(root, '_late.parquet'), 'x');
    await writeFile(join(root, '.hidden.parquet'), 'x');
    await writeFile(join(root, 'shown.parquet'), 'x');
    const { lines } = await loggedSource(DEFAULTS);
    const said = lines.filter((line) => line.msg === 'landing entries skipped as hidden ("_" or "." names)');
    expect(said).toHaveLength(1);
    // The hidden folder is one entry (its files are never listed), and the two hidden files.
    expect(said[0]).toMatchObject({ level: 30, source: 'harp', hidden: 3 });
    expect([join(root, '_temporary'), join(root, '_late.parquet'), join(root, '.hidden.parquet')]).toContain(said[0]!.example);
  });

  it.each([
    { fileSystem: 'cifs', type: 0xff534d42 },
    { fileSystem: 'nfs', type: 0x6969 },
  ])('warns at start on a $fileSystem mount without polling, naming the pipeline file, the folder and the setting; not with polling, not on a local disk', async ({ fileSystem, type }) => {
    const warning = 'fs source folder is on a network mount and polling is off: files written by other machines are noticed only by the rescan; set polling: true on this source';
    const mounted = async () => ({ type });
    const off = await loggedSource(DEFAULTS, mounted);
    expect(off.lines.filter((line) => line.msg === warning)).toEqual([
      expect.objectContaining({ level: 40, pipelineFile: '/etc/sluice/pipelines/harp.yaml', folder: root, fileSystem, setting: 'polling: true', rescanMs: 300_000 }),
    ]);
    const on = await loggedSource({ ...DEFAULTS, polling: true }, mounted);
    expect(on.lines.filter((line) => line.msg === warning)).toEqual([]);
    const local = await loggedSource(DEFAULTS, async () => ({ type: 0xef53 }));
    expect(local.lines.filter((line) => line.msg === warning)).toEqual([]);
  });
});
