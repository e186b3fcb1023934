// Bench fixtures, never production options: a launcher whose runs finish the moment they
// start, committing an empty manifest to a lake held in memory, so that the broker
// benchmark measures Sluice's own cost (HTTP, Redis, BullMQ, the step machine) and nothing
// of Spark or of the disk. (Its await step finds the run ended at the first look, so it
// needs no watch() events.)
import type { RunManifest } from '../broker/core/manifest.ts';
import { manifestKey } from '../broker/lake/manifests.ts';
import type { RunHandle } from '../broker/core/job.ts';
import type { LakeStorage, StoredObject } from '../broker/lake/storage.ts';
import type { Launcher, RunRequest, RunStatus } from '../broker/launchers/launcher.ts';

export class InstantLauncher implements Launcher {
  readonly name = 'instant';
  /** Called at each launch with the job id: the benchmark's "job started" moment. */
  onLaunch: (jobId: string) => void = () => undefined;

  constructor(readonly lake: LakeStorage) {}

  async launch(request: RunRequest): Promise<RunHandle> {
    this.onLaunch(request.jobId);
    const table = request.spec.output.table;
    const manifest: RunManifest = {
      version: 1,
      job_id: request.jobId,
      attempt: request.attempt,
      pipeline: request.pipeline.name,
      table,
      run_uri: request.spec.output.run_uri,
      committed_at: new Date().toISOString(),
      rows_in: 0,
      rows_out: 0,
      inputs: [],
      files: [],
      schema: [],
    };
    await this.lake.write(manifestKey(table, request.jobId, request.attempt), JSON.stringify(manifest));
    return { launcher: this.name, runId: `${request.jobId}-${request.attempt}`, attempt: request.attempt, startedAt: new Date().toISOString() };
  }

  async status(): Promise<RunStatus> {
    return { phase: 'succeeded' };
  }

  async cancel(): Promise<void> {}

  async *logs(): AsyncIterable<string> {}
}

/** A lake in memory, for the broker benchmark only. */
export class MemoryLake implements LakeStorage {
  readonly rootUri = 'memory://bench';
  private readonly objects = new Map<string, Buffer>();

  uri(key: string): string {
    return `${this.rootUri}/${key}`;
  }

  async read(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key);
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    return (this.objects.get(key) ?? Buffer.alloc(0)).subarray(start, end);
  }

  async write(key: string, body: Buffer | string): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }

  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.objects].filter(([key]) => key.startsWith(prefix)).map(([key, body]) => ({ key, size: body.length }));
  }

  async delete(prefix: string): Promise<void> {
    for (const key of [...this.objects.keys()]) if (key.startsWith(prefix)) this.objects.delete(key);
  }
}
