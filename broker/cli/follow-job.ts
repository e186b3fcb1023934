// Follows a job to its end with one progress line per state change, and a heartbeat line
// while a long stage runs, so a person at a terminal (or a CI log) sees it is alive.
import { isFinal } from '../core/job.ts';
import { isUnavailable, type JobView, type SluiceClient } from './sluice-client.ts';

export type FollowOptions = { pollMs?: number; heartbeatMs?: number; print?: (line: string) => void };

export async function followJob(client: SluiceClient, id: string, options: FollowOptions = {}): Promise<JobView> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pollMs = options.pollMs ?? 500;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
  let seen = 0;
  let lastLine = Date.now();
  /** Whether the last read met a 503: the outage is said once, not every poll. */
  let unavailable = false;
  for (;;) {
    let job: JobView;
    try {
      job = await client.job(id);
    } catch (error) {
      // A Redis outage answers 503 for a moment; the job goes on meanwhile, so following does too.
      if (!isUnavailable(error)) throw error;
      if (!unavailable) print(`[${elapsed()}] ${id} Sluice is unavailable for now (${(error as Error).message}); still following`);
      unavailable = true;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      continue;
    }
    unavailable = false;
    for (const change of job.history.slice(seen)) {
      print(`[${elapsed()}] ${job.id} ${change.state.padEnd(9)} attempt ${change.attempt}${change.reason ? `  ${change.reason}` : ''}`);
      lastLine = Date.now();
    }
    seen = job.history.length;
    if (isFinal(job.state)) return job;
    if (Date.now() - lastLine >= heartbeatMs) {
      print(`[${elapsed()}] ${job.id} ${job.state.padEnd(9)} still ${job.state}…`);
      lastLine = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
