// Jobs: newest first, filtered by state, pipeline, labels, creation time and a search on job
// id and input paths (every filter kept in the URL query), paged by cursor, and live: a job
// submitted elsewhere appears at the top of the first page and every row moves through its
// states as the events arrive, without a reload. After a lost feed the page is read again.
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, client, JOB_STATES, messageOf, type JobState, type JobView, type Me, type SluiceEvent } from '../api.ts';
import { ErrorNote, FeedBanner, FilterSelect, Link, StateBadge } from '../components.tsx';
import { ago, localTime } from '../format.ts';
import { useLiveFeed } from '../hooks.ts';
import { BASE, navigate } from '../router.ts';

const LIMIT = 25;

/**
 * The API's ISO 8601 instant for a time field's value: a `datetime-local` value (the local
 * time the person picked) read in the browser's zone; anything else (an ISO time typed into
 * the URL) is passed as it is, for the API to accept or explain.
 */
function isoOf(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return value;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : at.toISOString();
}

export function JobsPage(props: { me: Me; query: URLSearchParams }) {
  const state = (props.query.get('state') ?? '') as JobState | '';
  const pipeline = props.query.get('pipeline') ?? '';
  const labels = props.query.getAll('label');
  const from = props.query.get('from') ?? '';
  const until = props.query.get('until') ?? '';
  const search = props.query.get('q') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [jobs, setJobs] = useState<JobView[] | undefined>(undefined);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [pipelines, setPipelines] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);

  // Only the newest read may fill the table: filters changed in quick succession (a field's
  // change, then Apply) start reads whose answers can come back in either order.
  const reads = useRef(0);
  const reload = () => {
    const read = ++reads.current;
    return call(
      client.api.GET('/v1/jobs', {
        params: {
          query: {
            limit: LIMIT,
            ...(state ? { state } : {}),
            ...(pipeline ? { pipeline } : {}),
            ...(labels.length > 0 ? { label: labels } : {}),
            ...(from ? { from: isoOf(from) } : {}),
            ...(until ? { until: isoOf(until) } : {}),
            ...(search ? { q: search } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    ).then(
      (page) => {
        if (read !== reads.current) return;
        setJobs(page.items);
        setNext(page.nextCursor);
        setError(undefined);
      },
      (failure: unknown) => {
        if (read === reads.current) setError(messageOf(failure));
      },
    );
  };

  useEffect(() => void reload(), [state, pipeline, labels.join('\n'), from, until, search, cursor]);
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
    // A job this page does not show yet belongs at the top of the first page when it matches the
    // filters. The event carries no labels or inputs, and a new job is never before `until`: with
    // those filters, the page is read again (the list checks them) instead.
    if (cursor || (pipeline && event.pipeline !== pipeline) || (state && event.state !== state)) return;
    if (until) return;
    if (labels.length > 0 || search) {
      void reload();
      return;
    }
    void call(client.api.GET('/v1/jobs/{id}', { params: { path: { id } } })).then(
      (job) => setJobs((rows) => (rows?.some((row) => row.id === job.id) ? rows : [job, ...(rows ?? [])].slice(0, LIMIT))),
      () => undefined,
    );
  };
  const feed = useLiveFeed('/v1/events?type=job.', onEvent, () => void reload());

  type FilterName = 'state' | 'pipeline' | 'from' | 'until' | 'q' | 'label';
  const setFilters = (changes: Partial<Record<FilterName, string>>) => {
    const query = new URLSearchParams(props.query);
    for (const [name, value] of Object.entries(changes)) {
      query.delete(name);
      // Labels are typed as "team=finance, env=prod": one `label` query entry each.
      const values = name === 'label' ? value.split(',').map((pair) => pair.trim()).filter(Boolean) : value.trim() ? [value.trim()] : [];
      for (const one of values) query.append(name, one);
    }
    query.delete('cursor');
    const text = query.toString();
    if (text === props.query.toString()) return;
    navigate(`${BASE}/jobs${text ? `?${text}` : ''}`, true);
  };
  const setFilter = (name: FilterName, value: string) => setFilters({ [name]: value });
  // Enter in a text field applies both text fields at once.
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setFilters({ label: String(form.get('label') ?? ''), q: String(form.get('q') ?? '') });
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
      <form class="filters" onSubmit={onSubmit}>
        <FilterSelect label="State" value={state} options={JOB_STATES} onChange={(value) => setFilter('state', value)} />
        <FilterSelect label="Pipeline" value={pipeline} options={pipelines} onChange={(value) => setFilter('pipeline', value)} />
        <label>
          Labels{' '}
          <input
            name="label"
            type="text"
            placeholder="team=finance, env=prod"
            defaultValue={labels.join(', ')}
            key={`label:${labels.join(',')}`}
            onChange={(event) => setFilter('label', (event.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Created from{' '}
          <input name="from" type="datetime-local" value={from} onChange={(event) => setFilter('from', (event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label>
          until{' '}
          <input name="until" type="datetime-local" value={until} onChange={(event) => setFilter('until', (event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label title="The start of a job id, an input path or an input's file name">
          Search{' '}
          <input
            name="q"
            type="search"
            placeholder="job id, path or file name"
            defaultValue={search}
            key={`q:${search}`}
            onChange={(event) => setFilter('q', (event.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Apply</button>
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
