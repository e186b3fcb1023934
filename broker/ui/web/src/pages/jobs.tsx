// Jobs: newest first, filtered by state and pipeline, paged by cursor, and live: a job
// submitted elsewhere appears at the top of the first page and every row moves through its
// states as the events arrive, without a reload. After a lost feed the page is read again.
import { useEffect, useState } from 'preact/hooks';
import { call, client, JOB_STATES, messageOf, type JobState, type JobView, type Me, type SluiceEvent } from '../api.ts';
import { ErrorNote, FeedBanner, Link, StateBadge } from '../components.tsx';
import { ago, localTime } from '../format.ts';
import { useLiveFeed } from '../hooks.ts';
import { BASE, navigate } from '../router.ts';

const LIMIT = 25;

export function JobsPage(props: { me: Me; query: URLSearchParams }) {
  const state = (props.query.get('state') ?? '') as JobState | '';
  const pipeline = props.query.get('pipeline') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [jobs, setJobs] = useState<JobView[] | undefined>(undefined);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [pipelines, setPipelines] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);

  const reload = () =>
    call(
      client.api.GET('/v1/jobs', {
        params: { query: { limit: LIMIT, ...(state ? { state } : {}), ...(pipeline ? { pipeline } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    ).then(
      (page) => {
        setJobs(page.items);
        setNext(page.nextCursor);
        setError(undefined);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );

  useEffect(() => void reload(), [state, pipeline, cursor]);
  useEffect(() => {
    call(client.api.GET('/v1/pipelines')).then(
      (list) => setPipelines(list.items.map((p) => p.name)),
      () => undefined,
    );
  }, []);

  const onEvent = (event: SluiceEvent) => {
    const id = event.jobId;
    if (!id || !event.type.startsWith('job.')) return;
    const known = jobs?.some((job) => job.id === id);
    if (known) {
      // The event carries the new state; the row's other fields (attempt, failure) come with a re-read of that job.
      void call(client.api.GET('/v1/jobs/{id}', { params: { path: { id } } })).then(
        (job) => setJobs((rows) => rows?.map((row) => (row.id === id ? job : row))),
        () => undefined,
      );
      return;
    }
    // A job this page does not show yet belongs at the top of the first page when it matches the filters.
    if (cursor || (pipeline && event.pipeline !== pipeline) || (state && event.state !== state)) return;
    void call(client.api.GET('/v1/jobs/{id}', { params: { path: { id } } })).then(
      (job) => setJobs((rows) => (rows?.some((row) => row.id === job.id) ? rows : [job, ...(rows ?? [])].slice(0, LIMIT))),
      () => undefined,
    );
  };
  const feed = useLiveFeed('/v1/events?type=job.', onEvent, () => void reload());

  const setFilter = (name: 'state' | 'pipeline', value: string) => {
    const query = new URLSearchParams(props.query);
    if (value) query.set(name, value);
    else query.delete(name);
    query.delete('cursor');
    const text = query.toString();
    navigate(`${BASE}/jobs${text ? `?${text}` : ''}`, true);
  };
  const pageLink = (to: string | undefined) => {
    const query = new URLSearchParams(props.query);
    if (to) query.set('cursor', to);
    else query.delete('cursor');
    const text = query.toString();
    return `/jobs${text ? `?${text}` : ''}`;
  };

  return (
    <>
      <h1>Jobs</h1>
      <FeedBanner status={feed} />
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          State{' '}
          <select value={state} onChange={(event) => setFilter('state', (event.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Pipeline{' '}
          <select value={pipeline} onChange={(event) => setFilter('pipeline', (event.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {pipelines.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote message={error} />
      {jobs === undefined ? (
        <p role="status">Loading jobs…</p>
      ) : jobs.length === 0 ? (
        <p>No jobs match.</p>
      ) : (
        <table class="jobs">
          <caption class="visually-hidden">Jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Pipeline</th>
              <th scope="col">State</th>
              <th scope="col">Attempt</th>
              <th scope="col">Created</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-job={job.id} data-state={job.state}>
                <td>
                  <Link href={`/jobs/${encodeURIComponent(job.id)}`}>
                    <code>{job.id}</code>
                  </Link>
                </td>
                <td>{job.pipeline}</td>
                <td>
                  <StateBadge state={job.state} />
                </td>
                <td>
                  {job.attempt} of {job.maxAttempts}
                </td>
                <td title={localTime(job.createdAt)}>{ago(job.createdAt)}</td>
                <td title={localTime(job.updatedAt)}>{ago(job.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={pageLink(undefined)}>First page</Link>}
        {next && <Link href={pageLink(next)}>Next page</Link>}
      </nav>
    </>
  );
}
