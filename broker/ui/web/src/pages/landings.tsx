// Landings: the ledger's files newest first, filtered by source, state and a part of the
// path, paged by cursor. A quarantined file shows why and the job that found it; a key with
// jobs:write can re-admit it (after a confirmation) once the file is fixed.
//
// Live through the event stream's landing.* events: each one (many at once are coalesced)
// re-reads the page shown, since a landing's row depends on its whole record and a new
// landing may or may not match a path search. After a lost feed the page is read again too.
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, canWrite, client, messageOf, type Landing, type Me, type Pipeline } from '../api.ts';
import { ErrorNote, FeedBanner, FilterSelect, Link, StateBadge } from '../components.tsx';
import { ago, bytes, localTime } from '../format.ts';
import { useCoalesced, useLiveFeed } from '../hooks.ts';
import { BASE, navigate } from '../router.ts';

const LIMIT = 25;
const LANDING_STATES = ['seen', 'ready', 'batched', 'done', 'quarantined'] as const;
type LandingState = (typeof LANDING_STATES)[number];

/** A source's id as the ledger names it: broker/core/landing-config.ts sourceId(), repeated for the page. */
function sourceIdOf(source: NonNullable<Pipeline['sources']>[number]): string {
  if (source.id) return source.id;
  return source.kind === 'fs' ? `fs:${source.path.replace(/\/+$/, '') || '/'}` : `s3:${source.bucket}/${source.prefix ?? ''}`;
}

export function LandingsPage(props: { me: Me; query: URLSearchParams }) {
  const source = props.query.get('source') ?? '';
  const state = (props.query.get('state') ?? '') as LandingState | '';
  const path = props.query.get('path') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [landings, setLandings] = useState<Landing[] | undefined>(undefined);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [sources, setSources] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [search, setSearch] = useState(path);

  // Only the newest read may fill the table: filters changed in quick succession start reads
  // whose answers can come back in either order, and the older one holds another filter's rows.
  const reads = useRef(0);
  const reload = () => {
    const read = ++reads.current;
    return call(
      client.api.GET('/v1/landings', {
        params: { query: { limit: LIMIT, ...(source ? { source } : {}), ...(state ? { state } : {}), ...(path ? { path } : {}), ...(cursor ? { cursor } : {}) } },
      }),
    ).then(
      (page) => {
        if (read !== reads.current) return;
        setLandings(page.items);
        setNext(page.nextCursor);
        setError(undefined);
      },
      (failure: unknown) => {
        if (read === reads.current) setError(messageOf(failure));
      },
    );
  };

  useEffect(() => void reload(), [source, state, path, cursor]);
  useEffect(() => setSearch(path), [path]);
  useEffect(() => {
    call(client.api.GET('/v1/pipelines')).then(
      (list) => setSources([...new Set(list.items.flatMap((pipeline) => (pipeline.sources ?? []).map(sourceIdOf)))].sort()),
      () => undefined,
    );
  }, []);
  const reloadSoon = useCoalesced(() => void reload(), 500);
  const feed = useLiveFeed('/v1/events?type=landing.', reloadSoon, () => void reload());

  const withQuery = (changes: Record<string, string>) => {
    const query = new URLSearchParams(props.query);
    for (const [name, value] of Object.entries(changes)) {
      if (value) query.set(name, value);
      else query.delete(name);
    }
    const text = query.toString();
    return `/landings${text ? `?${text}` : ''}`;
  };
  const setFilter = (changes: Record<string, string>) => navigate(BASE + withQuery({ ...changes, cursor: '' }), true);
  const writable = canWrite(props.me);

  return (
    <>
      <h1>Landings</h1>
      <FeedBanner status={feed} />
      <form
        class="filters landings-filters"
        role="search"
        aria-label="Landings"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter({ path: search.trim() });
        }}
      >
        <FilterSelect label="Source" value={source} options={sources} onChange={(value) => setFilter({ source: value })} />
        <FilterSelect label="State" value={state} options={LANDING_STATES} onChange={(value) => setFilter({ state: value })} />
        <label>
          Path contains{' '}
          <input type="search" value={search} maxLength={300} onInput={(event) => setSearch((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorNote message={error} />
      {landings === undefined ? (
        <p role="status">Loading landings…</p>
      ) : landings.length === 0 ? (
        <p>{next ? 'No landing matches among the newest looked at; the next page looks further back.' : 'No landings match.'}</p>
      ) : (
        <table class="landings">
          <caption class="visually-hidden">Landed files, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Source</th>
              <th scope="col">State</th>
              <th scope="col">Size</th>
              <th scope="col">Landed</th>
              <th scope="col">Job and reason</th>
              {writable && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {landings.map((landing) => (
              <LandingRow key={landing.fingerprint} landing={landing} writable={writable} onChanged={() => void reload()} />
            ))}
          </tbody>
        </table>
      )}
      {path && next && landings !== undefined && landings.length < LIMIT && (
        <p class="help">A path search looks at a few thousand landings per page; the next page goes on from there.</p>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={withQuery({ cursor: '' })}>First page</Link>}
        {next && <Link href={withQuery({ cursor: next })}>Next page</Link>}
      </nav>
    </>
  );
}

function LandingRow(props: { landing: Landing; writable: boolean; onChanged: () => void }) {
  const { landing } = props;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const quarantined = landing.state === 'quarantined';
  const confirmId = `readmit-${landing.fingerprint}`;

  const readmit = async () => {
    setBusy(true);
    setActionError(undefined);
    try {
      await call(client.api.POST('/v1/landings/{fingerprint}/readmit', { params: { path: { fingerprint: landing.fingerprint } } }));
      setConfirming(false);
      props.onChanged();
    } catch (failure) {
      setActionError(messageOf(failure));
      // A second click (or another person) may have re-admitted it already: show what it is now.
      props.onChanged();
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr data-landing={landing.fingerprint} data-state={landing.state} data-path={landing.path}>
      <td>
        <code title={landing.uri}>{landing.path}</code>
      </td>
      <td>{landing.source}</td>
      <td>
        <StateBadge state={landing.state} />
      </td>
      <td>{bytes(landing.size)}</td>
      <td title={localTime(landing.seenAt)}>{ago(landing.seenAt)}</td>
      <td>
        {landing.jobId && (
          <Link href={`/jobs/${encodeURIComponent(landing.jobId)}`}>
            job <code>{landing.jobId}</code>
          </Link>
        )}
        {quarantined && landing.reason && (
          <p class="reason" data-testid="landing-reason">
            {landing.reason}
          </p>
        )}
        {landing.readmittedAt && (
          <p class="reason" title={localTime(landing.readmittedAt)}>
            Re-admitted {ago(landing.readmittedAt)} by {landing.readmittedBy ?? 'someone'}
          </p>
        )}
      </td>
      {props.writable && (
        <td>
          {quarantined && !confirming && (
            <button type="button" disabled={busy} aria-label={`Re-admit ${landing.path}…`} onClick={() => setConfirming(true)}>
              Re-admit…
            </button>
          )}
          {quarantined && confirming && (
            <div role="group" aria-labelledby={confirmId} class="confirm">
              <p id={confirmId}>Put {landing.path} back where it landed and batch it again? Do this once the file is fixed.</p>
              <button type="button" disabled={busy} onClick={() => void readmit()}>
                Yes, re-admit
              </button>{' '}
              <button type="button" class="quiet" disabled={busy} onClick={() => setConfirming(false)}>
                Keep it quarantined
              </button>
            </div>
          )}
          <ErrorNote message={actionError} />
        </td>
      )}
    </tr>
  );
}
