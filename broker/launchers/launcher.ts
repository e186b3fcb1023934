// The launcher seam: how a worker step starts, watches and stops one Spark run, whatever
// runs it (a local spark-submit, a SparkApplication, a driver pod). Every method may be
// called again after a crash: launch() creates or adopts, never starts a second run.
import type { FailureClass, RunHandle } from '../core/job.ts';
import type { Pipeline } from '../core/pipeline.ts';
import type { SparkRunSpec } from '../core/run-spec.ts';

export type RunRequest = {
  jobId: string;
  attempt: number;
  pipeline: Pipeline;
  spec: SparkRunSpec;
};

/**
 * The run as the launcher sees it now: the handle's fields that change while it lives (Spark's
 * state, and the links whose values arrive after the launch). A field left out is not known
 * now (the run's objects are gone, say), which is not a change.
 */
export type RunLiveView = Pick<RunHandle, 'sparkState' | 'uiUrl' | 'historyUrl'>;

/** `run`: the run's current view, when the launcher has one (the Kubernetes launchers). */
export type RunStatus = { run?: RunLiveView } & (
  /**
   * Not started yet (waiting for a slot on the cluster, an image, a process). `waitingFor`: why,
   * in words, when the launcher can tell (the job's failure says it if the launching timeout
   * passes while it waits).
   */
  | { phase: 'pending'; waitingFor?: string }
  | { phase: 'running' }
  | { phase: 'succeeded' }
  /** `input`: the input the failure concerns, as the run spec named it (a data failure's bad file). */
  | { phase: 'failed'; failureClass: FailureClass; message: string; logTail: string; input?: string }
  /** The run cannot be found or its supervisor died without an exit code. */
  | { phase: 'lost'; message: string }
);

export type RunEnded = { jobId: string; attempt: number; runId: string };

export interface LauncherListener {
  /** A run finished (any way); the worker promotes the job's await step early. */
  ended(event: RunEnded): void;
}

export type LogOptions = { tail?: number; follow?: boolean; signal?: AbortSignal };

/**
 * Per-call options. The caller (a job step) runs each call under a deadline and aborts the
 * signal when it passes; a launcher that waits on something slow (an API server, a process)
 * should stop waiting then. The step fails after the deadline whether or not it does.
 */
export type CallOptions = { signal?: AbortSignal };

export interface Launcher {
  readonly name: string;
  /** Starts the run named by job id + attempt, or adopts it when it exists already. */
  launch(request: RunRequest, options?: CallOptions): Promise<RunHandle>;
  /** What the run is doing now; reads only, never changes what the launcher tracks. */
  status(handle: RunHandle, options?: CallOptions): Promise<RunStatus>;
  /** Stops the run; a run that already ended is left as it is. */
  cancel(handle: RunHandle, options?: CallOptions): Promise<void>;
  /** The driver's output, from the start or the last `tail` lines, following it while the run lives. */
  logs(handle: RunHandle, options?: LogOptions): AsyncIterable<string>;
  /** Optional push of run ends, so awaits need not wait for their next poll. */
  watch?(listener: LauncherListener): () => void;
  /** Every run this launcher holds for a job (all attempts), for archiving and clean-up. */
  runsOf?(jobId: string): Promise<RunHandle[]>;
  /** Deletes what the run left on this machine (logs are archived by the caller first). */
  remove?(handle: RunHandle): Promise<void>;
  /** Stops the launcher's own timers and watches (waiting for a check under way); runs go on. */
  close?(): Promise<void>;
}
