// The launchers a worker can use, built once in the composition root (broker/sluice.ts). A
// launch is resolved from the pipeline's `engine.launcher`; everything after it (status,
// cancel, logs, clean-up) from the handle's `launcher`, so that a run started by one
// launcher is always followed by the same one, even after the pipeline changed. A name this
// process was not given throws LauncherNotConfiguredError: a configuration error for a worker,
// a 503 for the API (whose logs route reads runs of launchers it may not have).
import { ConfigError } from '../core/errors.ts';
import type { RunHandle } from '../core/job.ts';
import { mayRunSpark, type Pipeline } from '../core/pipeline.ts';
import type { Launcher, LauncherListener } from './launcher.ts';

/** A pipeline or run names a launcher this process was not given. */
export class LauncherNotConfiguredError extends ConfigError {}

export class LauncherRegistry {
  private readonly byKey: ReadonlyMap<string, Launcher>;

  /** `launchers`: the name pipelines use in `engine.launcher` → the launcher that serves it. */
  constructor(launchers: Readonly<Record<string, Launcher>>) {
    this.byKey = new Map(Object.entries(launchers));
  }

  /** The launcher a pipeline's `engine.launcher` names; a name this worker was not given is a configuration error. */
  forPipeline(pipeline: { name: string; engine: { launcher: string } }): Launcher {
    const launcher = this.byKey.get(pipeline.engine.launcher);
    if (!launcher) {
      throw new LauncherNotConfiguredError(
        `pipeline "${pipeline.name}" asks for launcher "${pipeline.engine.launcher}" (engine.launcher), which this worker does not have; it has: ${[...this.byKey.keys()].join(', ') || 'none'}`,
      );
    }
    return launcher;
  }

  /**
   * The pipelines whose Spark runs name a launcher this process was not given, with that
   * name: said at a worker's start, since each of their jobs this worker takes fails at launch,
   * naming it. (A `kind: embedded` pipeline runs Spark only as its fallback.)
   */
  lacking(pipelines: ReadonlyArray<Pick<Pipeline, 'name' | 'engine'>>): Array<{ pipeline: string; launcher: string }> {
    return pipelines
      .filter((pipeline) => mayRunSpark(pipeline) && !this.byKey.has(pipeline.engine.launcher))
      .map((pipeline) => ({ pipeline: pipeline.name, launcher: pipeline.engine.launcher }));
  }

  /** The launcher that started a run: by the name the handle records (a launcher's own name, or its key here). */
  forHandle(handle: Pick<RunHandle, 'launcher' | 'runId'>): Launcher {
    const launcher = this.byKey.get(handle.launcher) ?? this.list().find((candidate) => candidate.name === handle.launcher);
    if (!launcher) throw new LauncherNotConfiguredError(`run ${handle.runId} was started by launcher "${handle.launcher}", which this worker does not have`);
    return launcher;
  }

  /** Each launcher once (one may serve several names). */
  list(): Launcher[] {
    return [...new Set(this.byKey.values())];
  }

  /** Every run any launcher holds for the job, all attempts, oldest first. */
  async runsOf(jobId: string): Promise<RunHandle[]> {
    const runs = await Promise.all(this.list().map(async (launcher) => (launcher.runsOf ? launcher.runsOf(jobId) : [])));
    return runs.flat().sort((a, b) => a.attempt - b.attempt);
  }

  /** Listens to every launcher that pushes run ends; returns the function that stops listening. */
  watch(listener: LauncherListener): () => void {
    const stops = this.list().flatMap((launcher) => (launcher.watch ? [launcher.watch(listener)] : []));
    return () => {
      for (const stop of stops) stop();
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map(async (launcher) => launcher.close?.()));
  }
}
