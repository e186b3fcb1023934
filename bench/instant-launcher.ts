// A bench fixture, never a production option: a launcher whose runs finish the moment they
// start, committing an empty manifest, so that the broker benchmark measures Sluice's own
// cost (HTTP, Redis, BullMQ, the step machine) and nothing of Spark.
import { MANIFEST_FILE, runFolderName, type RunManifest } from '../broker/core/manifest.ts';
import type { RunHandle } from '../broker/core/job.ts';
import type { LakeStorage } from '../broker/lake/storage.ts';
import type { Launcher, LauncherListener, RunRequest, RunStatus } from '../broker/launchers/launcher.ts';

export class InstantLauncher implements Launcher {
  readonly name = 'instant';
  private readonly listeners = new Set<LauncherListener>();
  /** Called at each launch with the job id: the benchmark's "job started" moment. */
  onLaunch: (jobId: string) => void = () => undefined;

  constructor(private readonly lake: LakeStorage) {}

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
    await this.lake.write(`${table}/${runFolderName(request.jobId, request.attempt)}/${MANIFEST_FILE}`, JSON.stringify(manifest));
    const runId = `${request.jobId}-${request.attempt}`;
    for (const listener of this.listeners) listener.ended({ jobId: request.jobId, attempt: request.attempt, runId });
    return { launcher: this.name, runId, attempt: request.attempt, startedAt: new Date().toISOString() };
  }

  async status(): Promise<RunStatus> {
    return { phase: 'succeeded' };
  }

  async cancel(): Promise<void> {}

  async *logs(): AsyncIterable<string> {}

  watch(listener: LauncherListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
