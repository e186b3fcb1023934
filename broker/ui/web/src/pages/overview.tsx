// Overview: jobs by state now, the queue (paused or not; pause and resume for admin keys),
// landings waiting and quarantined, and alert deliveries that failed — all read from the public
// /v1 routes, re-read when the live feed says something changed (alerts: every few seconds).
import { useEffect, useState } from 'preact/hooks';
import { call, client, isAdmin, JOB_STATES, messageOf, type JobState, type Me, type Queue } from '../api.ts';
import { ErrorNote, FeedBanner, Link, StateBadge } from '../components.tsx';
import { useCoalesced, useLiveFeed } from '../hooks.ts';
import { FailedDeliveries } from '../notifications.tsx';

/** A count read by listing one page: exact up to the page size, "200+" beyond. */
type Count = { n: number; more: boolean };
const PAGE = 200;

type Overview = { jobs: Record<JobState, Count>; queue: Queue | undefined; waiting: Count; quarantined: Count };

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
  const [counts, queues, seen, ready, quarantined] = await Promise.all([
    Promise.all(JOB_STATES.map(jobCount)),
    call(client.api.GET('/v1/queues')),
    landingCount('seen'),
    landingCount('ready'),
    landingCount('quarantined'),
  ]);
  const jobs = Object.fromEntries(JOB_STATES.map((state, i) => [state, counts[i]!])) as Record<JobState, Count>;
  return { jobs, queue: queues.items[0], waiting: { n: seen.n + ready.n, more: seen.more || ready.more }, quarantined };
}

export function OverviewPage(props: { me: Me }) {
  const [data, setData] = useState<Overview | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const reload = () =>
    readOverview().then(
      (overview) => {
        setData(overview);
        setError(undefined);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );
  const soon = useCoalesced(reload, 1_000);
  const feed = useLiveFeed('/v1/events', soon, reload);
  useEffect(() => void reload(), []);

  const control = async (action: 'pause' | 'resume') => {
    if (!data?.queue) return;
    setBusy(true);
    try {
      const queue = await call(client.api.POST(action === 'pause' ? '/v1/queues/{name}/pause' : '/v1/queues/{name}/resume', { params: { path: { name: data.queue.name } } }));
      setData({ ...data, queue });
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
      <FailedDeliveries />
    </>
  );
}
