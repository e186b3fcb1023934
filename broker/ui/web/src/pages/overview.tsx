// Overview: jobs by state now, the oldest queued job, the queue (paused or not; pause and
// resume for admin keys), runs per pipeline in the last 24 h, landings waiting and
// quarantined, and alert deliveries that failed — all read from the public /v1 routes,
// re-read when the live feed says something changed (alerts: every few seconds).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { components } from '../../../../cli/generated/sluice-api.ts';
import { call, client, FINAL_STATES, isAdmin, JOB_STATES, messageOf, type JobState, type JobView, type Me, type Queue } from '../api.ts';
import { ErrorNote, FeedBanner, Link, StateBadge } from '../components.tsx';
import { duration, localTime } from '../format.ts';
import { useCoalesced, useLiveFeed } from '../hooks.ts';
import { FailedDeliveries } from '../notifications.tsx';
import { WatcherHealth } from '../watchers.tsx';

type RunStats = components['schemas']['RunStats'];
type PipelineRuns = components['schemas']['PipelineRuns'];

/** The runs table's window; the trend has one bar per hour. */
const RUNS_HOURS = 24;
/**
 * The runs re-read at most this often: each read may parse thousands of job records, and only
 * a job reaching a final state changes them.
 */
const RUNS_REFRESH_MS = 5_000;

/** A count read by listing one page: exact up to the page size, "200+" beyond. */
type Count = { n: number; more: boolean };
const PAGE = 200;

type Overview = { jobs: Record<JobState, Count>; queue: Queue | undefined; oldestQueued: JobView | undefined; waiting: Count; quarantined: Count };

const countText = (count: Count | undefined) => (count ? `${count.n}${count.more ? '+' : ''}` : '…');

async function jobCount(state: JobState): Promise<Count> {
  const page = await call(client.api.GET('/v1/jobs', { params: { query: { state, limit: PAGE } } }));
  return { n: page.items.length, more: page.nextCursor !== undefined };
}

async function landingCount(state: 'seen' | 'ready' | 'quarantined'): Promise<Count> {
  const page = await call(client.api.GET('/v1/landings', { params: { query: { state, limit: PAGE } } }));
  return { n: page.items.length, more: page.nextCursor !== undefined };
}

async function readOverview(): Promise<Overview> {
  const [counts, queues, oldest, seen, ready, quarantined] = await Promise.all([
    Promise.all(JOB_STATES.map(jobCount)),
    call(client.api.GET('/v1/queues')),
    // One index read: the queued index walked from its oldest end.
    call(client.api.GET('/v1/jobs', { params: { query: { state: 'queued', order: 'oldest', limit: 1 } } })),
    landingCount('seen'),
    landingCount('ready'),
    landingCount('quarantined'),
  ]);
  const jobs = Object.fromEntries(JOB_STATES.map((state, i) => [state, counts[i]!])) as Record<JobState, Count>;
  return { jobs, queue: queues.items[0], oldestQueued: oldest.items[0], waiting: { n: seen.n + ready.n, more: seen.more || ready.more }, quarantined };
}

const readRuns = (): Promise<RunStats> => call(client.api.GET('/v1/stats/runs', { params: { query: { hours: RUNS_HOURS } } }));

const total = (counts: readonly number[]): number => counts.reduce((sum, n) => sum + n, 0);

/**
 * The hourly trend as 24 stacked bars (failed on top of succeeded), scaled to the row's
 * busiest hour. Colours come from classes (the CSP allows no style attribute); the label
 * says in words what the bars show.
 */
function Sparkline(props: { trend: PipelineRuns['trend'] }) {
  const { succeeded, failed } = props.trend;
  const hours = succeeded.length;
  const perHour = succeeded.map((n, i) => n + (failed[i] ?? 0));
  const peak = Math.max(1, ...perHour);
  const busiest = perHour.indexOf(Math.max(...perHour));
  const HEIGHT = 20;
  const BAR = 3;
  const label =
    total(perHour) === 0
      ? `No runs in the last ${hours} hours`
      : `Per hour over the last ${hours} hours: ${total(succeeded)} succeeded, ${total(failed)} failed; busiest hour ${hours - busiest} hours ago with ${perHour[busiest]} runs`;
  return (
    <svg class="spark" role="img" aria-label={label} viewBox={`0 0 ${hours * BAR} ${HEIGHT}`} width={hours * BAR * 2} height={HEIGHT + 4} preserveAspectRatio="none">
      <title>{label}</title>
      <line class="spark-base" x1="0" x2={hours * BAR} y1={HEIGHT - 0.25} y2={HEIGHT - 0.25} />
      {succeeded.map((ok, i) => {
        const bad = failed[i] ?? 0;
        const okHeight = (ok / peak) * HEIGHT;
        const badHeight = (bad / peak) * HEIGHT;
        return (
          <g key={i}>
            {ok > 0 && <rect class="spark-ok" x={i * BAR} y={HEIGHT - okHeight} width={BAR - 1} height={okHeight} />}
            {bad > 0 && <rect class="spark-failed" x={i * BAR} y={HEIGHT - okHeight - badHeight} width={BAR - 1} height={badHeight} />}
          </g>
        );
      })}
    </svg>
  );
}

function RunsTable(props: { stats: RunStats | undefined }) {
  const { stats } = props;
  if (!stats) return <p>…</p>;
  if (stats.items.length === 0) return <p>No pipelines are loaded and none ran in the last {stats.hours} hours.</p>;
  return (
    <>
      {stats.truncated && (
        <p class="help" data-testid="runs-truncated">
          Busy window: {stats.total} jobs finished; the counts cover the newest of them, from {localTime(stats.countedFrom)} on.
        </p>
      )}
      <table class="runs" data-testid="pipeline-runs">
        <caption class="visually-hidden">Jobs that finished in the last {stats.hours} hours, per pipeline</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline</th>
            <th scope="col">Succeeded</th>
            <th scope="col">Failed</th>
            <th scope="col">
              p50 <span class="muted">(submit to end)</span>
            </th>
            <th scope="col">p95</th>
            <th scope="col">Per hour</th>
          </tr>
        </thead>
        <tbody>
          {stats.items.map((row) => (
            <tr key={row.pipeline} data-pipeline={row.pipeline}>
              <th scope="row">
                <Link href={`/pipelines/${encodeURIComponent(row.pipeline)}`}>{row.pipeline}</Link>
              </th>
              <td data-testid="runs-succeeded">{row.succeeded}</td>
              <td data-testid="runs-failed">{row.failed}</td>
              <td>{row.p50Ms === null ? '–' : duration(row.p50Ms)}</td>
              <td>{row.p95Ms === null ? '–' : duration(row.p95Ms)}</td>
              <td>
                <Sparkline trend={row.trend} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The job that has been queued longest by creation, and how long it has waited since it (last) entered the queue. */
function OldestQueued(props: { job: JobView | undefined; loaded: boolean }) {
  // Re-rendered every few seconds so that the wait keeps counting between feed events.
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(timer);
  }, []);
  if (!props.loaded) return <p>…</p>;
  const { job } = props;
  if (!job) return <p data-testid="oldest-queued">No job is queued.</p>;
  const entered = job.history.at(-1)?.at ?? job.createdAt;
  return (
    <p data-testid="oldest-queued">
      Oldest queued job: <Link href={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</Link> of <code>{job.pipeline}</code>, waiting{' '}
      <span title={`queued since ${localTime(entered)}`}>{duration(Date.now() - Date.parse(entered))}</span>.
    </p>
  );
}

export function OverviewPage(props: { me: Me }) {
  const [data, setData] = useState<Overview | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [runs, setRuns] = useState<RunStats | undefined>(undefined);
  const [runsError, setRunsError] = useState<string | undefined>(undefined);

  // Only the newest read may fill the page, and none started before an action ended: a read in
  // flight when Pause is clicked carries the queue as it was, and would show it running again.
  const reads = useRef(0);
  const reload = () => {
    const read = ++reads.current;
    return readOverview().then(
      (overview) => {
        if (read !== reads.current) return;
        setData(overview);
        setError(undefined);
      },
      (failure: unknown) => {
        if (read === reads.current) setError(messageOf(failure));
      },
    );
  };
  const reloadRuns = () =>
    readRuns().then(
      (stats) => {
        setRuns(stats);
        setRunsError(undefined);
      },
      (failure: unknown) => setRunsError(messageOf(failure)),
    );
  const soon = useCoalesced(reload, 1_000);
  const runsSoon = useCoalesced(reloadRuns, RUNS_REFRESH_MS);
  const feed = useLiveFeed(
    '/v1/events',
    (event) => {
      soon();
      if (FINAL_STATES.has(event.type.replace(/^job\./, '') as JobState)) runsSoon();
    },
    () => {
      void reload();
      void reloadRuns();
    },
  );
  useEffect(() => {
    void reload();
    void reloadRuns();
  }, []);

  const control = async (action: 'pause' | 'resume') => {
    if (!data?.queue) return;
    setBusy(true);
    try {
      const queue = await call(client.api.POST(action === 'pause' ? '/v1/queues/{name}/pause' : '/v1/queues/{name}/resume', { params: { path: { name: data.queue.name } } }));
      reads.current += 1; // every read started until now is older than this answer
      setData((shown) => shown && { ...shown, queue });
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Overview</h1>
      <FeedBanner status={feed} />
      <ErrorNote message={error} />
      <section aria-labelledby="jobs-now">
        <h2 id="jobs-now">Jobs by state now</h2>
        <ul class="tiles">
          {JOB_STATES.map((state) => (
            <li key={state}>
              <Link href={`/jobs?state=${state}`} class="tile">
                <StateBadge state={state} />
                <span class="tile-count" data-testid={`count-${state}`}>{countText(data?.jobs[state])}</span>
              </Link>
            </li>
          ))}
        </ul>
        <OldestQueued job={data?.oldestQueued} loaded={data !== undefined} />
      </section>
      <section aria-labelledby="runs-recent">
        <h2 id="runs-recent">Runs in the last {RUNS_HOURS} hours</h2>
        <ErrorNote message={runsError} />
        <RunsTable stats={runs} />
      </section>
      <section aria-labelledby="queue-now">
        <h2 id="queue-now">Queue</h2>
        {data?.queue ? (
          <p>
            The work queue <code>{data.queue.name}</code> is{' '}
            <strong data-testid="queue-state">{data.queue.paused ? 'paused: workers take no new steps' : 'running'}</strong>.{' '}
            {isAdmin(props.me) &&
              (data.queue.paused ? (
                <button type="button" disabled={busy} onClick={() => control('resume')}>
                  Resume the queue
                </button>
              ) : (
                <button type="button" disabled={busy} onClick={() => control('pause')}>
                  Pause the queue
                </button>
              ))}
          </p>
        ) : (
          <p>…</p>
        )}
      </section>
      <section aria-labelledby="landings-now">
        <h2 id="landings-now">Landings</h2>
        <dl class="facts">
          <dt>Waiting (seen or ready, not yet in a job)</dt>
          <dd data-testid="landings-waiting">{countText(data?.waiting)}</dd>
          <dt>Quarantined</dt>
          <dd data-testid="landings-quarantined">{countText(data?.quarantined)}</dd>
        </dl>
      </section>
      <WatcherHealth />
      <FailedDeliveries />
    </>
  );
}
