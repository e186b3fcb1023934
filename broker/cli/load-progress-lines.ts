// How a SQL load in progress reads, in `sluice status`, `submit --follow` and the dashboard's
// job page: "loading into warehouse:dbo.totals: staging 4,200,000 of 10,000,000 rows (42%)".
import type { components } from './generated/sluice-api.ts';

export type LoadProgressView = components['schemas']['LoadProgress'];

const rows = (n: number): string => n.toLocaleString('en-US');

/** Whole percent, never 100 before all rows are in. */
const percent = (part: number, whole: number): string => (whole > 0 ? ` (${Math.min(100, Math.floor((part / whole) * 100))}%)` : '');

function phaseText({ phase, rowsStaged, rowsTotal }: LoadProgressView): string {
  switch (phase) {
    case 'staging':
      return `staging ${rows(rowsStaged)} of ${rows(rowsTotal)} rows${percent(rowsStaged, rowsTotal)}`;
    case 'staged':
      return `staged ${rows(rowsStaged)} rows; applying them next`;
    case 'applying':
      return `applying ${rows(rowsStaged)} staged rows to the table`;
    case 'committed':
      return `committed ${rows(rowsStaged)} rows`;
  }
}

export function loadProgressText(progress: LoadProgressView): string {
  return `loading into ${progress.sink}: ${phaseText(progress)}`;
}

/** The summary lines of the loads running now, indented like the rest of `sluice status`; none when none runs. */
export function loadProgressLines(job: { loadProgress?: LoadProgressView[] }): string[] {
  return (job.loadProgress ?? []).map((progress) => `  ${loadProgressText(progress)}`);
}
