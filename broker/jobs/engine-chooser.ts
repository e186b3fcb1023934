// Chooses each attempt's engine on the worker (ADR 0021): the rule is engine-choice.ts; this
// gathers what it needs — the inputs' total size as the attempt goes for its slot (just
// before the write that takes it, or just after a waiting job took it),
// whether the pipeline's transform translates for the embedded engine (embedded_check.py,
// asked once at start), and the engine and failure of the attempt before.
import type { Logger } from 'pino';
import { chooseEngine, isFallback, type EngineChoice } from '../core/engine-choice.ts';
import type { Job } from '../core/job.ts';
import type { Pipeline } from '../core/pipeline.ts';

export interface EngineChooser {
  /** `files`: the job's inputs as expandInputs() resolves them (the step resolves them once for the choice and the launch). */
  choose(job: Job, pipeline: Pipeline, files: Promise<string[]>): Promise<EngineChoice>;
}

export type EngineChooserDeps = {
  /** SLUICE_EMBEDDED_MAX_BYTES. */
  maxBytes: number;
  /** Why a pipeline's transform cannot run on the embedded engine, by pipeline name (absent: it can). */
  untranslatable: ReadonlyMap<string, string>;
  /** Why this worker has no embedded engine at all, when it has none. */
  embeddedUnavailable?: string | undefined;
  /** A file's size; undefined when it is not there. */
  sizeOf(uri: string): Promise<number | undefined>;
  logger: Logger;
};

export class WorkerEngineChooser implements EngineChooser {
  constructor(private readonly deps: EngineChooserDeps) {}

  async choose(job: Job, pipeline: Pipeline, files: Promise<string[]>): Promise<EngineChoice> {
    const untranslatable = this.deps.untranslatable.get(pipeline.name);
    const sizeMatters = pipeline.engine.kind === 'auto' && !this.deps.embeddedUnavailable && !untranslatable;
    const previous = job.engine && job.engine.attempt < job.attempt ? job.engine : undefined;
    return chooseEngine({
      kind: pipeline.engine.kind,
      fallbackToSpark: pipeline.engine.fallback === 'spark',
      inputBytes: sizeMatters ? await this.inputBytes(job, files) : undefined,
      maxBytes: this.deps.maxBytes,
      embeddedUnavailable: this.deps.embeddedUnavailable,
      untranslatable,
      ...(previous
        ? {
            previous: {
              attempt: previous.attempt,
              engine: previous.engine,
              // A retry by request clears the failure and keeps its class on the choice.
              failureClass: job.failure?.attempt === previous.attempt ? job.failure.class : previous.failedWith,
              fellBack: isFallback(previous),
            },
          }
        : {}),
    });
  }

  /**
   * The inputs' total size; undefined when it cannot be read (then Spark, which needs no
   * guess). A missing file counts as nothing: the engine's input check fails it at once,
   * naming it, and no JVM need start for that.
   */
  private async inputBytes(job: Job, resolving: Promise<string[]>): Promise<number | undefined> {
    try {
      const files = await resolving;
      const sizes = await Promise.all(files.map((file) => this.deps.sizeOf(file)));
      return sizes.reduce<number>((total, size) => total + (size ?? 0), 0);
    } catch (error) {
      this.deps.logger.warn({ jobId: job.id, err: (error as Error).message }, 'could not size the inputs; the job runs on Spark');
      return undefined;
    }
  }
}
