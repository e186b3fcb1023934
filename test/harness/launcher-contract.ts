// The launcher contract: what every launcher (local today, Kubernetes next) must do, as a
// suite of vitest tests any launcher's test file registers with launcherContract(name, setup).
// It knows launchers only through the Launcher interface; the setup supplies the launcher and
// the means to make runs that succeed, fail as the Spark app fails, or run until cancelled.
// What it holds them to (DESIGN.md "Launcher", broker/launchers/launcher.ts):
//   - launch() of one run twice, even at once, adopts: one handle, one run started;
//   - cancel() of a run that ended changes nothing and does not throw;
//   - a run that was never started is `lost` (and cancelling it creates nothing);
//   - runsOf() lists every attempt of a job, and only that job's;
//   - status() of an ended run is stable and reads only;
//   - a run ending with the user or data exit code is `failed` with that class and the
//     message (and input) of its SLUICE_FAILURE line (ADR 0004);
//   - a run ending with any other exit code (a driver that crashed) is `failed` with class
//     `platform`, the one class a job retries, with the end of its log as the tail;
//   - cancel() of a live run ends it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import type { Launcher, RunRequest, RunStatus } from '../../broker/launchers/launcher.ts';
import { waitFor } from './wait-for.ts';

export type ContractRunKind =
  | { kind: 'succeeds' }
  /** Goes on until cancelled (minutes at least). */
  | { kind: 'runs-long' }
  /**
   * Ends with the Spark app's user (64) or data (65) exit code after its failure line, or
   * (platform) with another exit code, as a driver that crashed does.
   */
  | { kind: 'fails'; failureClass: 'user' | 'data' | 'platform' };

export type ContractRun = {
  request: RunRequest;
  /** For a failing run: what its failure line says (platform: a line its log ends with). */
  failure?: { message: string; input?: string };
};

export type ContractJob = { jobId: string; attempt: number };

export type LauncherContractSetup = {
  launcher: Launcher;
  /** A run of that kind for the job and attempt. */
  run(kind: ContractRunKind, job: ContractJob): ContractRun;
  /** The handle this launcher would give the job's run had it been started (its runId is the launcher's to shape). */
  missingHandle(job: ContractJob): RunHandle;
  /**
   * The line the app writes once when a run of the job starts: counted in logs(), it counts the
   * runs started. Absent for a launcher whose runs print no log here (Kubernetes runs on
   * simulated nodes): the runs started are then counted by runsOf().
   */
  startLine?(job: ContractJob): string;
  /** How long a short run may take from launch to its end. */
  endTimeoutMs?: number;
  close(): Promise<void>;
};

const isLive = (status: RunStatus): boolean => status.phase === 'pending' || status.phase === 'running';

export function launcherContract(name: string, setup: () => Promise<LauncherContractSetup>): void {
  describe(`launcher contract: ${name}`, () => {
    let fixture: LauncherContractSetup;
    const launched: RunHandle[] = [];
    let counter = 0;

    beforeAll(async () => {
      fixture = await setup();
    });
    afterEach(async () => {
      // No run outlives its test, whatever the test's outcome.
      await Promise.all(launched.splice(0).map((handle) => fixture.launcher.cancel(handle)));
    });
    afterAll(async () => {
      await fixture?.close();
    });

    /** A job id no other test (or earlier run of this suite) used. */
    const newJobId = (): string => {
      counter += 1;
      return `contract${Date.now().toString(36)}x${counter}`;
    };

    async function launch(run: ContractRun): Promise<RunHandle> {
      const handle = await fixture.launcher.launch(run.request);
      launched.push(handle);
      return handle;
    }

    function waitForEnd(handle: RunHandle): Promise<RunStatus> {
      return waitFor(
        `the end of run ${handle.runId}`,
        async () => {
          const status = await fixture.launcher.status(handle);
          return isLive(status) ? undefined : status;
        },
        fixture.endTimeoutMs ?? 60_000,
        100,
      );
    }

    async function logOf(handle: RunHandle): Promise<string> {
      let text = '';
      for await (const chunk of fixture.launcher.logs(handle)) text += chunk;
      return text;
    }

    const sameRun = (handle: RunHandle) => ({ launcher: handle.launcher, runId: handle.runId, attempt: handle.attempt });
    /** The status without the run's live view (Spark's state, links), which only some launchers give. */
    const outcomeOf = ({ run: _run, ...outcome }: RunStatus) => outcome;

    it('launching one run twice, even at once, adopts it: one handle, one run started', async () => {
      const job = { jobId: newJobId(), attempt: 1 };
      const run = fixture.run({ kind: 'succeeds' }, job);
      const [a, b] = await Promise.all([launch(run), launch(run)]);
      expect(sameRun(b)).toEqual(sameRun(a));
      expect(a.attempt).toBe(1);
      const again = await launch(run);
      expect(sameRun(again)).toEqual(sameRun(a));
      expect(outcomeOf(await waitForEnd(a))).toEqual({ phase: 'succeeded' });
      // Launched again after its end: still adopted, not started anew.
      expect(sameRun(await launch(run))).toEqual(sameRun(a));
      expect(outcomeOf(await fixture.launcher.status(a))).toEqual({ phase: 'succeeded' });
      if (fixture.startLine) {
        const log = await logOf(a);
        expect(log.split(fixture.startLine(job)).length - 1).toBe(1);
      } else {
        expect((await fixture.launcher.runsOf!(job.jobId)).map(sameRun)).toEqual([sameRun(a)]);
      }
    });

    it('status of an ended run is stable and reads only', async () => {
      const job = { jobId: newJobId(), attempt: 1 };
      const handle = await launch(fixture.run({ kind: 'fails', failureClass: 'user' }, job));
      const ended = await waitForEnd(handle);
      const runs = await fixture.launcher.runsOf?.(job.jobId);
      expect(await fixture.launcher.status(handle)).toEqual(ended);
      expect(await fixture.launcher.status(handle)).toEqual(ended);
      expect(await fixture.launcher.runsOf?.(job.jobId)).toEqual(runs);
    });

    it('cancel of a run that ended changes nothing and does not throw', async () => {
      const job = { jobId: newJobId(), attempt: 1 };
      const handle = await launch(fixture.run({ kind: 'succeeds' }, job));
      expect(outcomeOf(await waitForEnd(handle))).toEqual({ phase: 'succeeded' });
      await fixture.launcher.cancel(handle);
      await fixture.launcher.cancel(handle);
      expect(outcomeOf(await fixture.launcher.status(handle))).toEqual({ phase: 'succeeded' });
      if (fixture.startLine) expect(await logOf(handle)).toContain(fixture.startLine(job));
    });

    it('a run that was never started is lost, and cancelling it creates nothing', async () => {
      const job = { jobId: newJobId(), attempt: 1 };
      const handle = fixture.missingHandle(job);
      expect(await fixture.launcher.status(handle)).toMatchObject({ phase: 'lost', message: expect.any(String) });
      await fixture.launcher.cancel(handle);
      expect(await fixture.launcher.status(handle)).toMatchObject({ phase: 'lost' });
      if (fixture.launcher.runsOf) expect(await fixture.launcher.runsOf(job.jobId)).toEqual([]);
    });

    it('runsOf lists every attempt of a job, oldest first, and only that job', async () => {
      const launcher = fixture.launcher;
      if (!launcher.runsOf) throw new Error(`launcher ${launcher.name} has no runsOf(): the worker cannot archive or clean up its runs`);
      const jobId = newJobId();
      // A job whose id starts with the first one's: its runs are not the first job's.
      const neighbour = `${jobId}0`;
      const first = await launch(fixture.run({ kind: 'succeeds' }, { jobId, attempt: 1 }));
      const second = await launch(fixture.run({ kind: 'fails', failureClass: 'data' }, { jobId, attempt: 2 }));
      const other = await launch(fixture.run({ kind: 'succeeds' }, { jobId: neighbour, attempt: 1 }));
      await Promise.all([first, second, other].map((handle) => waitForEnd(handle)));
      expect((await launcher.runsOf(jobId)).map(sameRun)).toEqual([sameRun(first), sameRun(second)]);
      expect((await launcher.runsOf(neighbour)).map(sameRun)).toEqual([sameRun(other)]);
      expect(first.runId).not.toBe(second.runId);
    });

    for (const failureClass of ['user', 'data'] as const) {
      it(`a run ending with the ${failureClass} exit code is failed (${failureClass}) with its failure line's message${failureClass === 'data' ? ' and input' : ''}`, async () => {
        const run = fixture.run({ kind: 'fails', failureClass }, { jobId: newJobId(), attempt: 1 });
        const handle = await launch(run);
        const status = await waitForEnd(handle);
        expect(status).toMatchObject({ phase: 'failed', failureClass, message: run.failure!.message });
        if (status.phase !== 'failed') return;
        expect(status.input).toBe(run.failure!.input);
        expect(status.logTail).toContain(run.failure!.message);
      });
    }

    it('a run ending with any other exit code is failed (platform), the class a job retries, with the end of its log as the tail', async () => {
      const run = fixture.run({ kind: 'fails', failureClass: 'platform' }, { jobId: newJobId(), attempt: 1 });
      const handle = await launch(run);
      const status = await waitForEnd(handle);
      expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: expect.any(String) });
      if (status.phase !== 'failed') return;
      expect(status.logTail).toContain(run.failure!.message);
    });

    it('cancel of a live run ends it, and the end stays', async () => {
      const job = { jobId: newJobId(), attempt: 1 };
      const handle = await launch(fixture.run({ kind: 'runs-long' }, job));
      await waitFor('the run to be running', async () => ((await fixture.launcher.status(handle)).phase === 'running' ? true : undefined), fixture.endTimeoutMs ?? 60_000, 100);
      await fixture.launcher.cancel(handle);
      const ended = await waitForEnd(handle);
      expect(ended.phase).not.toBe('succeeded');
      expect(ended.phase).not.toBe('lost');
      await fixture.launcher.cancel(handle);
      expect(await fixture.launcher.status(handle)).toEqual(ended);
    });
  });
}
