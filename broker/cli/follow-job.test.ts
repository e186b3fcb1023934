// `sluice submit --follow` over a scripted sequence of job reads: a line per state change,
// and while a SQL load runs, a line at each of its phases and its progress as the heartbeat.
import { describe, expect, it } from 'vitest';
import { followJob } from './follow-job.ts';
import type { LoadProgressView } from './load-progress-lines.ts';
import type { JobView, SluiceClient } from './sluice-client.ts';

const at = '2026-03-01T00:00:00.000Z';
const base: JobView = {
  id: 'j1', pipeline: 'to-sql', state: 'loading', stage: 'load', attempt: 1, maxAttempts: 3, priority: 10,
  parameters: {}, inputs: [], labels: {}, createdAt: at, updatedAt: at,
  history: [{ state: 'queued', at, attempt: 1 }, { state: 'loading', at, attempt: 1, reason: 'committed 300 rows' }],
};
const loading = (phase: LoadProgressView['phase'], rowsStaged: number): JobView => ({ ...base, loadProgress: [{ sink: 'warehouse:dbo.totals', phase, rowsStaged, rowsTotal: 300, updatedAt: at }] });
const succeeded: JobView = { ...base, state: 'succeeded', stage: 'done', history: [...base.history, { state: 'succeeded', at, attempt: 1 }] };

async function follow(reads: JobView[], heartbeatMs: number): Promise<string[]> {
  const lines: string[] = [];
  const client = { job: async () => reads.shift()! } as unknown as SluiceClient;
  await followJob(client, 'j1', { pollMs: 0, heartbeatMs, print: (line) => lines.push(line.replace(/^\[ *[\d.]+s\] /, '')) });
  return lines;
}

describe('followJob', () => {
  it('prints a load\'s phases as they come, not every read of the same phase', async () => {
    const lines = await follow([loading('staging', 0), loading('staging', 100), loading('staging', 200), loading('staged', 300), loading('applying', 300), succeeded], 60_000);
    expect(lines).toEqual([
      'j1 queued    attempt 1',
      'j1 loading   attempt 1  committed 300 rows',
      'j1 loading into warehouse:dbo.totals: staging 0 of 300 rows (0%)',
      'j1 loading into warehouse:dbo.totals: staged 300 rows; applying them next',
      'j1 loading into warehouse:dbo.totals: applying 300 staged rows to the table',
      'j1 succeeded attempt 1',
    ]);
  });

  it('makes the load\'s progress its heartbeat, in place of "still loading…"', async () => {
    const lines = await follow([base, loading('staging', 100), loading('staging', 200), succeeded], 0);
    expect(lines.slice(2, -1)).toEqual([
      'j1 loading   still loading…',
      'j1 loading into warehouse:dbo.totals: staging 100 of 300 rows (33%)',
      'j1 loading into warehouse:dbo.totals: staging 200 of 300 rows (66%)',
    ]);
  });
});
