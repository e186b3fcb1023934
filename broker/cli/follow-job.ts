// Follows a job to its end with one progress line per state change, and a heartbeat line
// while a long stage runs, so a person at a terminal (or a CI log) sees it is alive. While a
// SQL load runs, its progress is the heartbeat, and each of its phases gets a line at once.
import { isFinal } from '../core/job.ts';
import { loadProgressText } from './load-progress-lines.ts';
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
  /** The phases of the loads running as last read: a new one is printed at once. */
  let shownPhases = '';
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
    const loads = job.loadProgress ?? [];
    const phases = loads.map((load) => `${load.sink} ${load.phase}`).join('\n');
    const due = Date.now() - lastLine >= heartbeatMs;
    if (loads.length > 0 && (due || phases !== shownPhases)) {
      for (const load of loads) print(`[${elapsed()}] ${job.id} ${loadProgressText(load)}`);
      lastLine = Date.now();
    } else if (due) {
      print(`[${elapsed()}] ${job.id} ${job.state.padEnd(9)} still ${job.state}…`);
      lastLine = Date.now();
    }
    shownPhases = phases;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
