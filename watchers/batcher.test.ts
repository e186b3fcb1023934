import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchIdempotencyKey, Batcher, type BatcherLedger, type BatchFile, type ClosedBatch } from './batcher.ts';
import type { LandingRecord, OpenBatch } from './landing-ledger.ts';

/** The ledger's claim semantics in memory: only `ready` files move, each to one batch. */
class MemoryLedger implements BatcherLedger {
  state = new Map<string, { state: string; batchId?: string; jobId?: string; file: BatchFile }>();
  batches = new Map<string, { fingerprints: string[]; jobId?: string }>();

  ready(file: BatchFile): void {
    this.state.set(file.fingerprint, { state: 'ready', file });
  }
  async claimForBatch(fingerprints: readonly string[], batchId: string): Promise<string[]> {
    const claimed = fingerprints.filter((fp) => this.state.get(fp)?.state === 'ready');
    for (const fp of claimed) Object.assign(this.state.get(fp)!, { state: 'batched', batchId });
    if (claimed.length > 0) this.batches.set(batchId, { fingerprints: claimed });
    return claimed;
  }
  async claimBatch(fingerprints: readonly string[], batchId: string): Promise<Array<{ fingerprint: string; generation: number }>> {
    return (await this.claimForBatch(fingerprints, batchId)).map((fp) => ({ fingerprint: fp, generation: this.state.get(fp)!.file.generation ?? 0 }));
  }
  async assignJob(batchId: string, jobId: string): Promise<number> {
    this.batches.get(batchId)!.jobId = jobId;
    for (const entry of this.state.values()) if (entry.batchId === batchId) entry.jobId = jobId;
    return 1;
  }
  async openBatches(): Promise<OpenBatch[]> {
    return [...this.batches].filter(([, b]) => !b.jobId).map(([batchId, b]) => ({ batchId, pipeline: 'harp', createdAt: '', fingerprints: b.fingerprints }));
  }
  async batchLandings(batch: OpenBatch): Promise<LandingRecord[]> {
    return batch.fingerprints
      .map((fp) => this.state.get(fp)!)
      .filter((entry) => entry.state === 'batched' && entry.batchId === batch.batchId)
      .map((entry) => ({ ...entry.file, path: entry.file.uri, state: 'batched', seenAt: '', updatedAt: '' }) as LandingRecord);
  }
  async dropBatch(batchId: string): Promise<void> {
    this.batches.delete(batchId);
  }
}

const log = pino({ level: 'silent' });
const file = (n: number, size = 10): BatchFile => ({ fingerprint: `fp${String(n).padStart(3, '0')}`, source: 's', uri: `/landing/f${String(n).padStart(3, '0')}.parquet`, size });

let clock: number;
let ledger: MemoryLedger;
let submitted: ClosedBatch[];
let failSubmit: boolean;

function batcher(limits: Partial<{ max_files: number; max_bytes: number; max_wait: number }> = {}): Batcher {
  let ids = 0;
  return new Batcher({
    pipeline: 'harp',
    limits: { max_files: 3, max_bytes: 1_000, max_wait: 30_000, ...limits },
    ledger,
    log,
    now: () => clock,
    newBatchId: () => `b${(ids += 1)}`,
    submit: async (batch) => {
      if (failSubmit) throw new Error('redis is down');
      submitted.push(batch);
      return { jobId: `job-for-${batch.idempotencyKey}` };
    },
  });
}

async function addReady(b: Batcher, f: BatchFile): Promise<ClosedBatch[]> {
  ledger.ready(f);
  return b.add(f);
}

beforeEach(() => {
  clock = 1_000_000;
  ledger = new MemoryLedger();
  submitted = [];
  failSubmit = false;
});

describe('Batcher', () => {
  it('closes by count at max_files', async () => {
    const b = batcher({ max_files: 3 });
    expect(await addReady(b, file(1))).toEqual([]);
    expect(await addReady(b, file(2))).toEqual([]);
    const [closed] = await addReady(b, file(3));
    expect(closed?.reason).toBe('max_files');
    expect(closed?.files.map((f) => f.fingerprint)).toEqual(['fp001', 'fp002', 'fp003']);
    expect(submitted).toHaveLength(1);
    expect(b.size).toBe(0);
    expect(ledger.state.get('fp001')).toMatchObject({ state: 'batched', jobId: `job-for-${closed!.idempotencyKey}` });
  });

  it('closes by bytes before a file would pass max_bytes, and alone for a file over it', async () => {
    const b = batcher({ max_files: 100, max_bytes: 100 });
    await addReady(b, file(1, 60));
    const [first] = await addReady(b, file(2, 60));
    expect(first?.reason).toBe('max_bytes');
    expect(first?.files.map((f) => f.fingerprint)).toEqual(['fp001']);
    expect(b.size).toBe(1);
    const closed = await addReady(b, file(3, 500));
    expect(closed.map((c) => c.files.map((f) => f.fingerprint))).toEqual([['fp002'], ['fp003']]);
    expect(b.size).toBe(0);
  });

  it('closes by max_wait counted from the first file', async () => {
    const b = batcher({ max_files: 100, max_wait: 30_000 });
    await addReady(b, file(1));
    clock += 20_000;
    await addReady(b, file(2));
    expect(b.nextDeadline()).toBe(1_030_000);
    clock += 9_999;
    expect(await b.tick()).toEqual([]);
    clock += 1;
    const [closed] = await b.tick();
    expect(closed?.reason).toBe('max_wait');
    expect(closed?.files).toHaveLength(2);
    expect(b.nextDeadline()).toBeUndefined();
  });

  it('derives the idempotency key from the fingerprints, whatever their order', async () => {
    expect(batchIdempotencyKey('harp', ['b', 'a', 'c'])).toBe(batchIdempotencyKey('harp', ['c', 'b', 'a']));
    expect(batchIdempotencyKey('harp', ['a', 'b'])).not.toBe(batchIdempotencyKey('harp', ['a', 'b', 'c']));
    expect(batchIdempotencyKey('harp', ['a'])).not.toBe(batchIdempotencyKey('other', ['a']));
    expect(batchIdempotencyKey('harp', ['a'])).toMatch(/^[A-Za-z0-9._:-]{1,200}$/);
    const forward = batcher();
    for (const n of [1, 2, 3]) await addReady(forward, file(n));
    ledger = new MemoryLedger();
    const backward = batcher();
    for (const n of [3, 2, 1]) await addReady(backward, file(n));
    expect(submitted).toHaveLength(2);
    expect(submitted[0]!.idempotencyKey).toBe(submitted[1]!.idempotencyKey);
    expect(submitted[0]!.files).toEqual(submitted[1]!.files);
  });

  it('gives a landing batched again after going back to ready (released, re-admitted) a new key, and keeps the key of a recovered batch', async () => {
    expect(batchIdempotencyKey('harp', [{ fingerprint: 'a', generation: 0 }])).toBe(batchIdempotencyKey('harp', ['a']));
    expect(batchIdempotencyKey('harp', [{ fingerprint: 'a', generation: 1 }])).not.toBe(batchIdempotencyKey('harp', ['a']));
    const b = batcher({ max_files: 1 });
    failSubmit = true;
    await addReady(b, { ...file(1), generation: 2 });
    failSubmit = false;
    const [recovered] = await b.recover(0);
    expect(recovered?.idempotencyKey).toBe(batchIdempotencyKey('harp', [{ fingerprint: 'fp001', generation: 2 }]));
  });

  it('ignores a file added twice, and submits only what it claimed', async () => {
    const b = batcher({ max_files: 3 });
    await addReady(b, file(1));
    await addReady(b, file(1));
    expect(b.size).toBe(1);
    // Another process claimed fp002 first.
    ledger.ready(file(2));
    await ledger.claimForBatch(['fp002'], 'theirs');
    await b.add(file(2));
    const [closed] = await addReady(b, file(3));
    expect(closed?.files.map((f) => f.fingerprint)).toEqual(['fp001', 'fp003']);
    expect(closed?.idempotencyKey).toBe(batchIdempotencyKey('harp', ['fp001', 'fp003']));
  });

  it('closes nothing when every file was claimed elsewhere', async () => {
    const b = batcher({ max_files: 2 });
    for (const n of [1, 2]) ledger.ready(file(n));
    await ledger.claimForBatch(['fp001', 'fp002'], 'theirs');
    await b.add(file(1));
    expect(await b.add(file(2))).toEqual([]);
    expect(submitted).toEqual([]);
  });

  it('keeps a batch whose submit failed claimed, and recover() submits it with the same key', async () => {
    const b = batcher({ max_files: 2 });
    failSubmit = true;
    await addReady(b, file(1));
    expect(await addReady(b, file(2))).toEqual([]);
    expect(ledger.state.get('fp001')?.state).toBe('batched');
    failSubmit = false;
    const [recovered] = await b.recover(0);
    expect(recovered?.reason).toBe('recovered');
    expect(recovered?.idempotencyKey).toBe(batchIdempotencyKey('harp', ['fp001', 'fp002']));
    expect(ledger.state.get('fp002')?.jobId).toBe(`job-for-${recovered!.idempotencyKey}`);
    expect(await b.recover(0)).toEqual([]);
  });
});
