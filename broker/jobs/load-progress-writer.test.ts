// The progress writer of a running SQL load: which reports become writes (each phase, and
// the rows staged at most every LOAD_PROGRESS_INTERVAL_MS, the production default), that the
// load never waits on one, and that a write never undoes a cancel or another writer's change.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Job, RunningLoad } from '../core/job.ts';
import { transition } from '../core/state-machine.ts';
import { jobRecord } from '../../test/harness/job-record.ts';
import type { StoredJob } from './job-store.ts';
import { LOAD_PROGRESS_INTERVAL_MS, LoadProgressWriter, progressDue, withoutRunningLoad } from './load-progress-writer.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const SINK = 'warehouse:dbo.totals';

/** Records in memory; `hold` keeps the next writes on the wire until released, `failing` makes them throw. */
class Records {
  raw: string;
  writes: Job[] = [];
  reads = 0;
  failing = false;
  private held: Array<() => void> | undefined;
  constructor(job: Job) {
    this.raw = JSON.stringify(job);
  }
  get job(): Job {
    return JSON.parse(this.raw) as Job;
  }
  stored(): StoredJob {
    return { job: this.job, raw: this.raw };
  }
  /** Another writer's change (the API's cancel, a transition). */
  change(edit: (job: Job) => Job): void {
    this.raw = JSON.stringify(edit(this.job));
  }
  hold(): void {
    this.held = [];
  }
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const go of waiting) go();
  }
  async read(): Promise<StoredJob | undefined> {
    this.reads += 1;
    return this.stored();
  }
  async compareAndSet(current: StoredJob, next: Job): Promise<StoredJob | undefined> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.failing) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    if (current.raw !== this.raw) return undefined;
    this.raw = JSON.stringify(next);
    this.writes.push(next);
    return { job: next, raw: this.raw };
  }
}

const loadingJob = (): Job => jobRecord('j1', 'to-sql', 'loading', T0);

function setup() {
  const records = new Records(loadingJob());
  let now = T0;
  const writer = new LoadProgressWriter({ store: records, stored: records.stored(), sink: SINK, rowsTotal: 10_000_000, log: pino({ level: 'silent' }), now: () => new Date(now) });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { records, writer, settle, advance: (ms: number) => (now += ms) };
}

const progressOf = (job: Job) => job.loadProgress?.map(({ phase, rowsStaged }) => `${phase} ${rowsStaged}`);

describe('progressDue', () => {
  it('is due at the first report, at each new phase, and otherwise once the interval passed', () => {
    expect(progressDue(undefined, 'staging', T0)).toBe(true);
    expect(progressDue({ phase: 'staging', at: T0 }, 'staging', T0 + LOAD_PROGRESS_INTERVAL_MS - 1)).toBe(false);
    expect(progressDue({ phase: 'staging', at: T0 }, 'staging', T0 + LOAD_PROGRESS_INTERVAL_MS)).toBe(true);
    expect(progressDue({ phase: 'staging', at: T0 }, 'staged', T0 + 1)).toBe(true);
  });

  it('writes the rows staged every 2 s by default: a round trip per couple of seconds, not per batch', () => {
    expect(LOAD_PROGRESS_INTERVAL_MS).toBe(2_000);
  });
});

describe('LoadProgressWriter', () => {
  it('writes each phase at once and the rows staged at most every interval, with the run\'s total and the time', async () => {
    const { records, writer, settle, advance } = setup();
    writer.report({ phase: 'staging', rowsStaged: 0 });
    await settle();
    for (let batch = 1; batch <= 19; batch += 1) {
      advance(100);
      writer.report({ phase: 'staging', rowsStaged: batch * 100_000 });
      await settle();
    }
    expect(records.writes.map(progressOf)).toEqual([['staging 0']]);
    advance(100); // 2 s after the first write
    writer.report({ phase: 'staging', rowsStaged: 2_000_000 });
    await settle();
    advance(10);
    writer.report({ phase: 'staged', rowsStaged: 10_000_000 });
    await settle();
    writer.report({ phase: 'applying', rowsStaged: 10_000_000 });
    await settle();
    writer.report({ phase: 'committed', rowsStaged: 10_000_000 });
    await settle();
    expect(records.writes.map(progressOf)).toEqual([['staging 0'], ['staging 2000000'], ['staged 10000000'], ['applying 10000000']]);
    const entry: RunningLoad = records.job.loadProgress![0]!;
    expect(entry).toEqual({ sink: SINK, phase: 'applying', rowsStaged: 10_000_000, rowsTotal: 10_000_000, updatedAt: new Date(T0 + 2_010).toISOString() });
    expect(records.job.updatedAt).toBe(entry.updatedAt);
    expect(records.reads).toBe(0);
    expect((await writer.close()).raw).toBe(records.raw);
  });

  it('never holds the load up: while a write is on the wire, the latest report due waits behind it and older ones are dropped', async () => {
    const { records, writer, settle, advance } = setup();
    records.hold();
    writer.report({ phase: 'staging', rowsStaged: 0 });
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 500 });
    writer.report({ phase: 'staged', rowsStaged: 1_000 });
    await settle();
    expect(records.writes).toEqual([]);
    records.release();
    await settle();
    await settle();
    expect(records.writes.map(progressOf)).toEqual([['staging 0'], ['staged 1000']]);
  });

  it('close() waits for the write on the wire, drops a report waiting behind it, and writes nothing after', async () => {
    const { records, writer, settle } = setup();
    records.hold();
    writer.report({ phase: 'staging', rowsStaged: 0 });
    writer.report({ phase: 'staged', rowsStaged: 10 });
    const closing = writer.close();
    records.release();
    const last = await closing;
    writer.report({ phase: 'applying', rowsStaged: 10 });
    await settle();
    expect(records.writes.map(progressOf)).toEqual([['staging 0']]);
    expect(last.raw).toBe(records.raw);
  });

  it('loses to a cancel without undoing it, then writes no more; close() hands back the step\'s record, so the step\'s own write loses too', async () => {
    const { records, writer, settle, advance } = setup();
    writer.report({ phase: 'staging', rowsStaged: 0 });
    await settle();
    const ownWrite = records.raw;
    records.change((job) => ({ ...job, cancelRequested: true }));
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 1_000 }); // loses: the record changed
    await settle();
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 2_000 }); // reads, sees the cancel, writes nothing
    await settle();
    expect(records.writes).toHaveLength(1);
    expect(records.job).toMatchObject({ cancelRequested: true, loadProgress: [{ phase: 'staging', rowsStaged: 0 }] });
    expect((await writer.close()).raw).toBe(ownWrite);
  });

  it('after a lost race on a change that is no transition, writes again on a fresh read', async () => {
    const { records, writer, settle, advance } = setup();
    writer.report({ phase: 'staging', rowsStaged: 0 });
    await settle();
    records.change((job) => ({ ...job, labels: { late: 'yes' } }));
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 1_000 });
    await settle();
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 2_000 });
    await settle();
    expect(records.job).toMatchObject({ labels: { late: 'yes' }, loadProgress: [{ rowsStaged: 2_000 }] });
    expect((await writer.close()).raw).toBe(records.raw);
  });

  it('writes nothing onto a job that moved on (a retry, a transition), however the race went', async () => {
    const { records, writer, settle } = setup();
    records.change((job) => transition(job, 'loading', new Date(T0 + 1), 'load retry', { attempt: 2 }));
    const moved = records.raw;
    writer.report({ phase: 'staging', rowsStaged: 0 });
    await settle();
    writer.report({ phase: 'staged', rowsStaged: 5 });
    await settle();
    expect(records.raw).toBe(moved);
  });

  it('a write that fails (Redis away) is skipped without a word to the load; the next one reads afresh and lands', async () => {
    const { records, writer, settle, advance } = setup();
    records.failing = true;
    expect(() => writer.report({ phase: 'staging', rowsStaged: 0 })).not.toThrow();
    await settle();
    records.failing = false;
    advance(LOAD_PROGRESS_INTERVAL_MS);
    writer.report({ phase: 'staging', rowsStaged: 700 });
    await settle();
    expect(records.reads).toBe(1);
    expect(progressOf(records.job)).toEqual(['staging 700']);
  });
});

describe('withoutRunningLoad', () => {
  const entry = (sink: string): RunningLoad => ({ sink, phase: 'staging', rowsStaged: 1, rowsTotal: 2, updatedAt: new Date(T0).toISOString() });
  it('leaves out the sink\'s entry, and the field once none is left', () => {
    const job = { ...loadingJob(), loadProgress: [entry('a'), entry('b')] };
    expect(withoutRunningLoad(job, 'a').loadProgress).toEqual([entry('b')]);
    expect('loadProgress' in withoutRunningLoad(withoutRunningLoad(job, 'a'), 'b')).toBe(false);
  });
});
