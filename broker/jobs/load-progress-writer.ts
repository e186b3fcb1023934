// Writes a running SQL load's progress into its job's record, where GET /v1/jobs/{id}, the
// dashboard and `sluice submit --follow` read it (docs/adr/0024-load-progress.md). A sink
// reports every batch it stages, and each write is a Redis round trip: a report is written
// at a phase change, else only once LOAD_PROGRESS_INTERVAL_MS have passed since the last one.
//
// The load never waits on a write: one is on the wire at a time, and the latest report due
// meanwhile waits behind it (it replaces an older one). Every write is a compare-and-set on
// the record this writer wrote last (at first, the one the load's step read), or after a lost
// race on a fresh read, and only while that record is loading the same attempt, with no
// transition since and no cancel asked for. A write that loses, or fails (Redis away), is
// skipped: progress never undoes a cancel or a state change, and never fails the load.
import type { Logger } from 'pino';
import type { Job, LoadPhase, RunningLoad } from '../core/job.ts';
import type { LoadProgress } from '../../sql-sinks/sink.ts';
import type { JobRecords, StoredJob } from './job-store.ts';

/** How often the rows a load has staged so far are written to its record, between its phase changes. */
export const LOAD_PROGRESS_INTERVAL_MS = 2_000;

/** Whether a report is worth a write: a new phase, or LOAD_PROGRESS_INTERVAL_MS passed since the last write. */
export function progressDue(last: { phase: LoadPhase; at: number } | undefined, phase: LoadPhase, now: number): boolean {
  return last === undefined || last.phase !== phase || now - last.at >= LOAD_PROGRESS_INTERVAL_MS;
}

/** The job with `sink`'s running load left out (its outcome supersedes it); no field at all when none is left. */
export function withoutRunningLoad(job: Job, sink: string): Job {
  const { loadProgress, ...rest } = job;
  const others = (loadProgress ?? []).filter((entry) => entry.sink !== sink);
  return others.length > 0 ? { ...rest, loadProgress: others } : rest;
}

export type LoadProgressWriterOptions = {
  store: Pick<JobRecords, 'read' | 'compareAndSet'>;
  /** The record the load's step read. */
  stored: StoredJob;
  sink: string;
  /** The committed run's rows. */
  rowsTotal: number;
  log: Logger;
  now: () => Date;
};

export class LoadProgressWriter {
  /** The record as this writer (or, before its first write, the step) last wrote it. */
  private own: StoredJob;
  /** Whether a write lost its compare-and-set (or failed) since: the next one reads first. */
  private stale = false;
  private last: { phase: LoadPhase; at: number } | undefined;
  private writing: Promise<void> | undefined;
  private waiting: RunningLoad | undefined;
  private closed = false;

  constructor(private readonly options: LoadProgressWriterOptions) {
    this.own = options.stored;
  }

  /** The sink's onProgress: returns at once, whatever it writes. */
  report(progress: LoadProgress): void {
    // A committed load's outcome is the step's next write: its progress would be overwritten at once.
    if (this.closed || progress.phase === 'committed') return;
    const now = this.options.now();
    if (!progressDue(this.last, progress.phase, now.getTime())) return;
    this.last = { phase: progress.phase, at: now.getTime() };
    const entry: RunningLoad = { sink: this.options.sink, phase: progress.phase, rowsStaged: progress.rowsStaged, rowsTotal: this.options.rowsTotal, updatedAt: now.toISOString() };
    if (this.writing) this.waiting = entry;
    else this.start(entry);
  }

  /**
   * Ends the writing (a report waiting is dropped), once a write on the wire is answered.
   * Returns the record the step's next write compares against: the one this writer wrote
   * last, or the step's own when another writer changed it since (that write then loses, and
   * the next step decides on a fresh read, as without progress).
   */
  async close(): Promise<StoredJob> {
    this.closed = true;
    this.waiting = undefined;
    await this.writing;
    return this.own;
  }

  private start(entry: RunningLoad): void {
    this.writing = this.write(entry).finally(() => {
      this.writing = undefined;
      const next = this.waiting;
      this.waiting = undefined;
      if (next && !this.closed) this.start(next);
    });
  }

  private async write(entry: RunningLoad): Promise<void> {
    const { store, stored } = this.options;
    try {
      const current = this.stale ? await store.read(stored.job.id) : this.own;
      if (!current || !this.stillLoading(current.job)) return;
      const others = withoutRunningLoad(current.job, entry.sink).loadProgress ?? [];
      const written = await store.compareAndSet(current, { ...current.job, loadProgress: [...others, entry], updatedAt: entry.updatedAt });
      this.stale = !written;
      if (written) this.own = written;
    } catch (error) {
      this.stale = true;
      this.options.log.debug({ sink: entry.sink, err: (error as Error).message }, 'sql load progress not recorded');
    }
  }

  /** Whether `job` is still the step's load: same state and attempt, no transition since, no cancel asked for. */
  private stillLoading(job: Job): boolean {
    const step = this.options.stored.job;
    return job.state === 'loading' && job.attempt === step.attempt && job.history.length === step.history.length && !job.cancelRequested;
  }
}
