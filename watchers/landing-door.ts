// The door between a ready landing and its pipeline's batcher: every landing a source
// emits as ready (new, re-emitted on a restart or rescan, or released from a failed batch)
// is checked first (landing-validator.ts). A good one goes to the batcher; a bad one is
// quarantined at once, with its reason, and never joins a batch.
//
//   ready ──► admit ──► (gate: a few checks at a time) ──► check ─┬─ fits ──► batcher.add
//                ▲                                                ├─ bad ───► quarantine
//                └──── later (RETRY_DELAYS_MS) ◄── read failed ───┘
//
// A read that fails (a mount or S3 hiccup) is no verdict: the landing is looked at again a
// few times, then left ready for the next rescan's re-emit. Nor is a file rewritten since the
// landing was ready: it is left where it is, for its own landing. Checks run a few at a time, so a
// start-up over 100,000 ready files opens a handful of files at once, not all of them.
import type { Logger } from 'pino';
import type { Pipeline } from '../broker/core/pipeline.ts';
import type { Batcher } from './batcher.ts';
import type { LandingLedger, ReadyLanding } from './landing-ledger.ts';
import { Superseded, type LandingValidator } from './landing-validator.ts';
import { quarantineLandings, type QuarantineDeps } from './quarantine.ts';

/** Where a landing of one pipeline goes. */
export type DoorRoute = {
  pipeline: Pick<Pipeline, 'name' | 'input' | 'after'>;
  batcher: Pick<Batcher, 'add'>;
  log: Logger;
};

export type LandingDoorOptions = {
  validator: Pick<LandingValidator, 'check'>;
  quarantine: QuarantineDeps;
  /** Where a landing whose file was rewritten since it was ready is closed (done, superseded). */
  ledger: Pick<LandingLedger, 'supersede'>;
  /** Checks in flight at once. */
  concurrency?: number;
  /** Waits before looking again at a landing whose file could not be read. */
  retryDelaysMs?: readonly number[];
};

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

export class LandingDoor {
  /** Pipeline and fingerprint of each landing being checked: a re-emit meanwhile is not checked twice. */
  private readonly checking = new Set<string>();
  private readonly waiting: Array<() => void> = [];
  private readonly work = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private closed = false;
  private readonly concurrency: number;
  private readonly retryDelaysMs: readonly number[];

  constructor(private readonly options: LandingDoorOptions) {
    this.concurrency = options.concurrency ?? 16;
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Checks the landing, then batches or quarantines it. Never rejects: failures are logged. */
  admit(route: DoorRoute, landing: ReadyLanding, attempt = 0): Promise<void> {
    const key = `${route.pipeline.name} ${landing.fingerprint}`;
    if (this.closed || this.checking.has(key)) return Promise.resolve();
    this.checking.add(key);
    const done = this.pass(route, landing, attempt).finally(() => {
      this.checking.delete(key);
      this.work.delete(done);
    });
    this.work.add(done);
    return done;
  }

  /** Stops taking landings and waits for the checks under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.work]);
  }

  private async pass(route: DoorRoute, landing: ReadyLanding, attempt: number): Promise<void> {
    const { log, pipeline } = route;
    const fields = { source: landing.source, path: landing.path, fingerprint: landing.fingerprint };
    let reason: string | undefined;
    try {
      reason = await this.gated(() => this.options.validator.check(landing, pipeline.input));
    } catch (error) {
      if (error instanceof Superseded) {
        // Not batched and not quarantined: the file there now is a later version, whose own
        // landing its source hands over once it is ready. This one is closed, so that rescans
        // stop handing it over.
        await this.options.ledger.supersede([landing.fingerprint]).catch((failure: unknown) => log.warn({ ...fields, err: failure }, 'could not close a superseded landing'));
        log.info(fields, 'landing superseded: its file was rewritten since it was ready');
        return;
      }
      this.retryLater(route, landing, attempt, error);
      return;
    }
    if (this.closed) return;
    try {
      if (reason === undefined) {
        await route.batcher.add(landing);
        return;
      }
      const moved = await quarantineLandings(this.options.quarantine, pipeline.after, [landing], reason, 'refused when it landed, before any job read it');
      if (moved.length > 0) log.warn({ ...fields, reason }, 'landing quarantined at the door');
    } catch (error) {
      log.error({ ...fields, err: error }, 'landing could not be batched or quarantined');
    }
  }

  private retryLater(route: DoorRoute, landing: ReadyLanding, attempt: number, error: unknown): void {
    const delay = this.retryDelaysMs[attempt];
    const fields = { source: landing.source, path: landing.path, attempt: attempt + 1, err: error };
    if (delay === undefined || this.closed) {
      // Still ready in the ledger: the source's next rescan (or a restart) hands it over again.
      route.log.warn(fields, 'landing footer unreadable; left ready for the next rescan');
      return;
    }
    route.log.warn({ ...fields, retryInMs: delay }, 'landing footer unreadable; will look again');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.admit(route, landing, attempt + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private async gated<T>(work: () => Promise<T>): Promise<T> {
    // A finishing check hands its slot straight to the next waiting one.
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
