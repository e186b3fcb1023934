// The landing ledger on a real redis-server: transitions, the claim race between two Sluice
// processes (two clients, two ledgers, one Redis), release and re-claim, listing.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LANDING_STATES, landingKeys } from '../../watchers/landing-keys.ts';
import { LandingLedger, type LandingInput } from '../../watchers/landing-ledger.ts';
import { RedisServer } from '../harness/redis-server.ts';

let server: RedisServer;
let clientA: Redis;
let clientB: Redis;
let clock: number;
let a: LandingLedger;
let b: LandingLedger;

beforeAll(async () => {
  server = await RedisServer.start();
  clientA = new Redis(server.url);
  clientB = new Redis(server.url);
});

afterAll(async () => {
  clientA?.disconnect();
  clientB?.disconnect();
  await server?.destroy();
});

beforeEach(async () => {
  await clientA.flushall();
  clock = Date.UTC(2025, 0, 1);
  a = new LandingLedger(clientA, 'sluice', () => clock);
  b = new LandingLedger(clientB, 'sluice', () => clock);
});

const landing = (n: number, source = 'harp', extra: Partial<LandingInput> = {}): LandingInput => ({
  fingerprint: `fp-${source}-${n}`,
  source,
  path: `d/f${n}.parquet`,
  uri: `/landing/d/f${n}.parquet`,
  size: 100 + n,
  mtimeMs: 1_000 + n,
  ino: n,
  sample: `sample-${n}`,
  ...extra,
});

describe('keys', () => {
  it('writes only keys that landing-keys.ts names, so the Lua scripts and the TypeScript agree', async () => {
    await a.markSeen(landing(1, 'harp', { sample: undefined }));
    await a.markSeen(landing(2));
    clock += 1_000;
    await a.markSeen(landing(2, 'harp', { fingerprint: 'fp-harp-2b', size: 999 })); // a newer version seen mid-write
    await a.markReady(landing(1));
    await a.claimForBatch(['fp-harp-1'], 'batch-1', { pipeline: 'harp' });
    await a.claimForBatch([], 'batch-2', { pipeline: 'harp' });
    await a.assignJob('batch-1', 'job-1');
    await a.quarantine(['fp-harp-2'], 'bad');
    const keys = landingKeys('sluice');
    const named = [
      keys.landing('fp-harp-1'),
      keys.landing('fp-harp-2'),
      keys.landing('fp-harp-2b'),
      keys.all,
      ...LANDING_STATES.flatMap((state) => [keys.byState(state), keys.bySourceState('harp', state)]),
      keys.bySource('harp'),
      keys.paths('harp'),
      keys.seenPaths('harp'),
      keys.batch('batch-1'),
      keys.batch('batch-2'),
      keys.jobBatch('job-1'),
      keys.openBatches,
      keys.events,
    ];
    const written = await clientA.keys('sluice:*');
    expect(written.length).toBeGreaterThan(8);
    expect(written.filter((key) => !named.includes(key))).toEqual([]);
  });
});

describe('transitions', () => {
  it('records seen then ready once, whatever the repeats, and walks to done', async () => {
    expect(await a.markSeen(landing(1))).toEqual({ state: 'seen', changed: true });
    expect(await b.markSeen(landing(1))).toEqual({ state: 'seen', changed: false });
    clock += 1_000;
    expect(await a.markReady(landing(1))).toEqual({ state: 'ready', changed: true });
    expect(await b.markReady(landing(1))).toEqual({ state: 'ready', changed: false });
    expect(await a.claimForBatch(['fp-harp-1'], 'batch-1', { pipeline: 'harp' })).toEqual(['fp-harp-1']);
    expect(await a.assignJob('batch-1', 'job-1')).toBe(1);
    // A rescan or a restart records it again: nothing moves back.
    expect(await b.markReady(landing(1))).toEqual({ state: 'batched', changed: false });
    expect(await a.markDone(['fp-harp-1'])).toEqual(['fp-harp-1']);
    expect(await a.markDone(['fp-harp-1'])).toEqual([]);
    const record = await a.get('fp-harp-1');
    expect(record).toMatchObject({ state: 'done', batchId: 'batch-1', jobId: 'job-1', size: 101, mtimeMs: 1_001, sample: 'sample-1', path: 'd/f1.parquet' });
    expect(record?.seenAt).toBe('2025-01-01T00:00:00.000Z');
    expect(record?.readyAt).toBe('2025-01-01T00:00:01.000Z');
    expect(record?.doneAt).toBeDefined();
    expect(await a.countByState('harp')).toEqual({ seen: 0, ready: 0, batched: 0, done: 1, quarantined: 0 });
  });

  it('supersedes a partial version seen mid-write by the complete one', async () => {
    await a.markSeen(landing(1, 'harp', { fingerprint: 'partial', size: 10 }));
    await a.markSeen(landing(1, 'harp', { fingerprint: 'bigger', size: 20 }));
    await a.markReady(landing(1, 'harp', { fingerprint: 'whole', size: 30 }));
    expect(await a.get('partial')).toBeUndefined();
    expect(await a.get('bigger')).toBeUndefined();
    expect((await a.list({ source: 'harp', limit: 10 })).items.map((r) => r.fingerprint)).toEqual(['whole']);
    expect(await a.countByState()).toMatchObject({ seen: 0, ready: 1 });
    expect((await a.knownPaths('harp')).get('d/f1.parquet')).toMatchObject({ fingerprint: 'whole', size: 30 });
  });

  it('removes a seen landing whose file went, only while it is still the path\'s seen version and still seen', async () => {
    await a.markSeen(landing(1, 'harp', { fingerprint: 'partial', size: 10 }));
    // A newer version seen since: the old one is gone already, the new one is not asked for.
    await a.markSeen(landing(1, 'harp', { fingerprint: 'bigger', size: 20 }));
    expect(await a.forgetSeen('harp', 'd/f1.parquet', 'partial')).toBe(false);
    expect((await a.get('bigger'))?.state).toBe('seen');
    expect(await b.forgetSeen('harp', 'd/f1.parquet', 'bigger')).toBe(true);
    expect(await a.get('bigger')).toBeUndefined();
    expect(await a.countByState('harp')).toMatchObject({ seen: 0 });
    expect(await a.seenPaths('harp')).toEqual(new Map());
    // Quarantined while seen: the record stays (an operator's), the path's pointer goes.
    await a.markSeen(landing(2));
    await a.quarantine(['fp-harp-2'], 'bad');
    expect(await a.seenPaths('harp')).toEqual(new Map([['d/f2.parquet', 'fp-harp-2']]));
    expect(await a.forgetSeen('harp', 'd/f2.parquet', 'fp-harp-2')).toBe(false);
    expect((await a.get('fp-harp-2'))?.state).toBe('quarantined');
    expect(await a.seenPaths('harp')).toEqual(new Map());
    // Recorded ready later all the same: created as ready directly.
    expect(await a.markReady(landing(1, 'harp', { fingerprint: 'bigger', size: 20 }))).toEqual({ state: 'ready', changed: true });
    const events = await clientA.xrange(a.keys.events, '-', '+');
    expect(events.map(([, fields]) => fields[fields.indexOf('type') + 1])).toEqual(['landing.seen', 'landing.seen', 'landing.seen', 'landing.quarantined', 'landing.ready']);
  });

  it('quarantines with a reason, never from done', async () => {
    for (const n of [1, 2]) await a.markReady(landing(n));
    await a.claimForBatch(['fp-harp-1', 'fp-harp-2'], 'batch-1');
    await a.markDone(['fp-harp-2']);
    expect(await a.quarantine(['fp-harp-1', 'fp-harp-2'], 'not a Parquet file (bad magic)')).toEqual(['fp-harp-1']);
    expect(await a.get('fp-harp-1')).toMatchObject({ state: 'quarantined', reason: 'not a Parquet file (bad magic)' });
    expect((await a.get('fp-harp-2'))?.state).toBe('done');
  });
});

describe('claims between two processes', () => {
  it('give each file to exactly one of two racing ledgers, 50 rounds', async () => {
    for (let round = 0; round < 50; round += 1) {
      const fps: string[] = [];
      for (let n = 0; n < 20; n += 1) {
        const input = landing(round * 100 + n);
        await (n % 2 === 0 ? a : b).markReady(input);
        fps.push(input.fingerprint);
      }
      // Same files, opposite orders, at the same moment.
      const [byA, byB] = await Promise.all([a.claimForBatch(fps, `a-${round}`), b.claimForBatch([...fps].reverse(), `b-${round}`)]);
      expect(byA.length === 0 || byB.length === 0, `round ${round}: both won`).toBe(true);
      expect(byA.length + byB.length).toBe(20);
      const winner = byA.length > 0 ? `a-${round}` : `b-${round}`;
      const records = await Promise.all(fps.map((fp) => a.get(fp)));
      expect(records.every((record) => record?.state === 'batched' && record.batchId === winner)).toBe(true);
    }
    expect(await a.countByState()).toEqual({ seen: 0, ready: 0, batched: 1_000, done: 0, quarantined: 0 });
  });

  it('split overlapping claims without giving a file twice', async () => {
    for (let n = 1; n <= 6; n += 1) await a.markReady(landing(n));
    const [byA, byB] = await Promise.all([
      a.claimForBatch(['fp-harp-1', 'fp-harp-2', 'fp-harp-3', 'fp-harp-4'], 'a'),
      b.claimForBatch(['fp-harp-3', 'fp-harp-4', 'fp-harp-5', 'fp-harp-6'], 'b'),
    ]);
    expect(new Set([...byA, ...byB]).size).toBe(byA.length + byB.length);
    expect(byA.length + byB.length).toBe(6);
  });
});

describe('release and re-claim', () => {
  it('puts the good files of a failed batch back to ready for a new batch', async () => {
    for (const n of [1, 2, 3]) await a.markReady(landing(n));
    await a.claimForBatch(['fp-harp-1', 'fp-harp-2', 'fp-harp-3'], 'batch-1', { pipeline: 'harp' });
    await a.assignJob('batch-1', 'job-1');
    await a.quarantine(['fp-harp-2'], 'corrupt footer');
    expect((await a.release(['fp-harp-1', 'fp-harp-2', 'fp-harp-3'])).sort()).toEqual(['fp-harp-1', 'fp-harp-3']);
    const released = await a.get('fp-harp-1');
    expect(released?.state).toBe('ready');
    expect(released?.batchId).toBeUndefined();
    expect(released?.jobId).toBeUndefined();
    expect((await b.claimForBatch(['fp-harp-1', 'fp-harp-2', 'fp-harp-3'], 'batch-2')).sort()).toEqual(['fp-harp-1', 'fp-harp-3']);
    expect(await a.claimForBatch(['fp-harp-1', 'fp-harp-3'], 'batch-3')).toEqual([]);
  });

  it('announces a release on the released channel, to a subscriber on another connection, and only what moved', async () => {
    const subscriber = new Redis(server.url);
    try {
      const heard: string[][] = [];
      subscriber.on('message', (_channel: string, message: string) => heard.push(JSON.parse(message) as string[]));
      await subscriber.subscribe(landingKeys('sluice').released);
      for (const n of [1, 2]) await a.markReady(landing(n));
      await a.claimForBatch(['fp-harp-1', 'fp-harp-2'], 'batch-1', { pipeline: 'harp' });
      await a.quarantine(['fp-harp-2'], 'corrupt footer');
      await a.release(['fp-harp-1', 'fp-harp-2']);
      await a.release(['fp-harp-1']); // already ready: moves nothing, announces nothing
      await a.markDone([]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toEqual([['fp-harp-1']]);
    } finally {
      subscriber.disconnect();
    }
  });

  it('tells onMoved listeners of every state change made through it, and of nothing else', async () => {
    const moves: Array<[string[], string, string | undefined]> = [];
    a.onMoved((fingerprints, to, source) => moves.push([fingerprints, to, source]));
    await a.markSeen(landing(1));
    await a.markReady(landing(1));
    await a.markReady(landing(1)); // no change
    await b.markReady(landing(2)); // another process's ledger
    await a.claimForBatch(['fp-harp-1', 'fp-harp-2'], 'batch-1');
    await a.quarantine(['fp-harp-1'], 'bad');
    await a.release(['fp-harp-2']);
    expect(moves).toEqual([
      [['fp-harp-1'], 'seen', 'harp'],
      [['fp-harp-1'], 'ready', 'harp'],
      [['fp-harp-1', 'fp-harp-2'], 'batched', undefined],
      [['fp-harp-1'], 'quarantined', undefined],
      [['fp-harp-2'], 'ready', undefined],
    ]);
  });

  it('closes a ready landing whose file was rewritten as done, superseded, and leaves a batched one alone', async () => {
    for (const n of [1, 2]) await a.markReady(landing(n));
    await a.claimForBatch(['fp-harp-2'], 'batch-s', { pipeline: 'harp' });
    expect(await b.supersede(['fp-harp-1', 'fp-harp-2'])).toEqual(['fp-harp-1']);
    expect(await a.get('fp-harp-1')).toMatchObject({ state: 'done', reason: expect.stringMatching(/^superseded: its file was rewritten/) });
    expect((await a.get('fp-harp-2'))?.state).toBe('batched');
  });

  it('finds a pipeline\'s open batch behind hundreds of another pipeline\'s that can never be submitted (a pipeline removed from the configuration)', async () => {
    for (let n = 1; n <= 250; n += 1) {
      await a.markReady(landing(n, 'retired'));
      await a.claimForBatch([`fp-retired-${n}`], `retired-batch-${n}`, { pipeline: 'retired' });
      clock += 1;
    }
    await a.markReady(landing(1));
    await a.claimForBatch(['fp-harp-1'], 'harp-batch', { pipeline: 'harp' });
    clock += 60_000;
    expect((await b.openBatches(30_000, 100, 'harp')).map((open) => open.batchId)).toEqual(['harp-batch']);
    expect(await b.openBatches(30_000, 100)).toHaveLength(100);
    expect((await b.openBatches(30_000, 300, 'retired')).map((open) => open.batchId)).toHaveLength(250);
  });

  it('keeps claimed batches without a job open for recovery, and closes them on assignJob', async () => {
    for (const n of [1, 2]) await a.markReady(landing(n));
    await a.claimForBatch(['fp-harp-1', 'fp-harp-2'], 'batch-1', { pipeline: 'harp' });
    clock += 60_000;
    const [open] = await b.openBatches(30_000);
    expect(open).toMatchObject({ batchId: 'batch-1', pipeline: 'harp', fingerprints: ['fp-harp-1', 'fp-harp-2'] });
    expect((await b.batchLandings(open!)).map((r) => r.fingerprint)).toEqual(['fp-harp-1', 'fp-harp-2']);
    expect(await b.openBatches(120_000)).toEqual([]);
    await b.assignJob('batch-1', 'job-9');
    expect(await b.openBatches(0)).toEqual([]);
    expect((await a.get('fp-harp-2'))?.jobId).toBe('job-9');
    expect((await a.jobLandings('job-9')).map((r) => r.fingerprint)).toEqual(['fp-harp-1', 'fp-harp-2']);
    expect(await a.jobLandings('job-unknown')).toEqual([]);
  });
});

describe('listing', () => {
  it('pages newest first, by source, by state and by both', async () => {
    for (let n = 1; n <= 7; n += 1) {
      clock += 1_000;
      await a.markReady(landing(n, n % 2 === 0 ? 'even' : 'odd'));
    }
    await a.claimForBatch(['fp-odd-1', 'fp-odd-3'], 'batch-1');
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await a.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(page.items.map((r) => r.fingerprint));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.flat()).toEqual(['fp-odd-7', 'fp-even-6', 'fp-odd-5', 'fp-even-4', 'fp-odd-3', 'fp-even-2', 'fp-odd-1']);
    expect(pages[0]).toHaveLength(3);
    expect((await a.list({ source: 'odd', limit: 10 })).items.map((r) => r.fingerprint)).toEqual(['fp-odd-7', 'fp-odd-5', 'fp-odd-3', 'fp-odd-1']);
    expect((await a.list({ state: 'batched', limit: 10 })).items.map((r) => r.fingerprint)).toEqual(['fp-odd-3', 'fp-odd-1']);
    expect((await a.list({ source: 'odd', state: 'ready', limit: 10 })).items.map((r) => r.fingerprint)).toEqual(['fp-odd-7', 'fp-odd-5']);
    expect((await a.list({ source: 'even', state: 'batched', limit: 10 })).items).toEqual([]);
  });

  it('keeps a per-source path index for reconciling a full listing', async () => {
    for (let n = 1; n <= 3; n += 1) await a.markReady(landing(n));
    await a.markReady(landing(9, 'other'));
    const known = await a.knownPaths('harp');
    expect([...known.keys()].sort()).toEqual(['d/f1.parquet', 'd/f2.parquet', 'd/f3.parquet']);
    expect(known.get('d/f2.parquet')).toEqual({ fingerprint: 'fp-harp-2', size: 102, mtimeMs: 1_002, ino: 2, sample: 'sample-2' });
    // A touch moves the mtime of the path's version, only if the path still holds that landing.
    expect(await a.updatePath('harp', 'd/f2.parquet', { fingerprint: 'fp-harp-2', size: 102, mtimeMs: 5_000, ino: 2, sample: 'sample-2' })).toBe(true);
    expect(await a.updatePath('harp', 'd/f2.parquet', { fingerprint: 'someone-else', size: 102, mtimeMs: 6_000, ino: 2 })).toBe(false);
    expect((await a.pathRecord('harp', 'd/f2.parquet'))?.mtimeMs).toBe(5_000);
    expect(await a.forgetPath('harp', 'd/f1.parquet', 'wrong')).toBe(false);
    expect(await a.forgetPath('harp', 'd/f1.parquet', 'fp-harp-1')).toBe(true);
    expect([...(await b.knownPaths('harp')).keys()].sort()).toEqual(['d/f2.parquet', 'd/f3.parquet']);
    // The landing itself stays listed.
    expect((await a.get('fp-harp-1'))?.state).toBe('ready');
  });

  it('pages a large path index without losing entries', async () => {
    await Promise.all(Array.from({ length: 2_500 }, (_, n) => a.markReady(landing(n))));
    expect((await a.knownPaths('harp')).size).toBe(2_500);
  });
});
