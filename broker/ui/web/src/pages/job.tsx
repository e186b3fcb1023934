// One job: its state timeline per attempt with durations, the failure in words with the
// driver log's tail, inputs, the committed run, SQL loads (and the one running, with its
// rows staged so far), the driver log (followed live
// while the run lives), Spark's state with the Spark UI link (the history server's once the run
// ended), and the actions: cancel (after a confirmation),
// retry, and the curl command that submits the same job again. Live through the job's own
// event feed (GET /v1/jobs/{id}/events); each event re-reads the job. A load's progress is no
// event (docs/adr/0024-load-progress.md): while the job is loading, the page re-reads it every
// LOAD_PROGRESS_READ_MS.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, callOrEmpty, canWrite, client, FINAL_STATES, messageOf, type JobView, type Me } from '../api.ts';
import { ErrorNote, FeedBanner, Link, StateBadge } from '../components.tsx';
import { loadProgressText } from '../../../../cli/load-progress-lines.ts';
import { ago, bytes, duration, localTime } from '../format.ts';
import { useLiveFeed } from '../hooks.ts';
import { JobAlerts } from '../notifications.tsx';

type Entry = JobView['history'][number] & { ms: number; ongoing: boolean };

/** How often the page re-reads a loading job: about as often as the worker records the load's progress. */
const LOAD_PROGRESS_READ_MS = 2_000;

/** Spark Operator states after which the run does nothing more. */
const ENDED_SPARK_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'SUBMISSION_FAILED']);

/**
 * The run's one current link: the live Spark UI while the run lives, the history server's page
 * once it ended (the UI answers no more). The run ended when the job moved past running, or
 * when Spark said so before the worker recorded it.
 */
function sparkLink(job: JobView): { term: string; text: string; href: string } | undefined {
  const run = job.run;
  if (!run) return undefined;
  const ended = (job.state !== 'launching' && job.state !== 'running') || ENDED_SPARK_STATES.has(run.sparkState ?? '');
  if (!ended) return run.uiUrl ? { term: 'Spark UI', text: 'Open the Spark UI', href: run.uiUrl } : undefined;
  return run.historyUrl ? { term: 'Spark history', text: 'Open the run in the Spark history server', href: run.historyUrl } : undefined;
}

/** The history grouped by attempt, each entry lasting until the next one (or until now, for the current state). */
function attempts(job: JobView, now: number): Array<{ attempt: number; entries: Entry[] }> {
  const history = [...job.history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const final = FINAL_STATES.has(job.state);
  const groups = new Map<number, Entry[]>();
  history.forEach((change, i) => {
    const next = history[i + 1];
    const ongoing = !next && !final;
    const end = next ? Date.parse(next.at) : ongoing ? now : Date.parse(change.at);
    const entry: Entry = { ...change, ms: Math.max(0, end - Date.parse(change.at)), ongoing };
    groups.set(change.attempt, [...(groups.get(change.attempt) ?? []), entry]);
  });
  return [...groups.entries()].map(([attempt, entries]) => ({ attempt, entries }));
}

function Timeline(props: { job: JobView; now: number }) {
  return (
    <>
      {attempts(props.job, props.now).map(({ attempt, entries }) => {
        const total = entries.reduce((sum, entry) => sum + entry.ms, 0) || 1;
        return (
          <section key={attempt} class="attempt" aria-label={`Attempt ${attempt}`}>
            <h3>Attempt {attempt}</h3>
            <div class="bars" aria-hidden="true">
              {entries.map((entry, i) => (
                <span key={i} class={`bar state-${entry.state}`} style={{ width: `${Math.max(3, (entry.ms / total) * 100)}%` }} />
              ))}
            </div>
            <ol class="timeline">
              {entries.map((entry, i) => (
                <li key={i}>
                  <StateBadge state={entry.state} /> <time dateTime={entry.at}>{localTime(entry.at)}</time>
                  {' · '}
                  {FINAL_STATES.has(entry.state) ? 'ended' : `${duration(entry.ms)}${entry.ongoing ? ' so far' : ''}`}
                  {entry.reason && <span class="reason"> — {entry.reason}</span>}
                </li>
              ))}
            </ol>
          </section>
        );
      })}
    </>
  );
}

/** The SQL loads running now: where each stands, in words and as a bar while rows are staged. */
function LoadsInProgress(props: { job: JobView; now: number }) {
  const loads = props.job.loadProgress ?? [];
  if (loads.length === 0) return null;
  return (
    <section aria-labelledby="load-progress-title">
      <h2 id="load-progress-title">SQL load in progress</h2>
      <ul class="load-progress">
        {loads.map((load) => (
          <li key={load.sink} data-testid="load-progress">
            {loadProgressText(load)}{' '}
            {load.phase === 'staging' && load.rowsTotal > 0 && <progress max={load.rowsTotal} value={load.rowsStaged} aria-label={`Rows staged for ${load.sink}`} />}{' '}
            <span class="muted">(updated {ago(load.updatedAt, props.now)})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function curlOf(job: JobView): string {
  const body = JSON.stringify({ pipeline: job.pipeline, parameters: job.parameters, inputs: job.inputs, priority: job.priority, labels: job.labels });
  const quoted = `'${body.replace(/'/g, `'\\''`)}'`;
  return [
    `curl -sS -X POST ${location.origin}/v1/jobs \\`,
    `  -H "Authorization: Bearer $SLUICE_API_KEY" -H 'Content-Type: application/json' \\`,
    `  -d ${quoted}`,
  ].join('\n');
}

/** The most of the driver log the page keeps: an hours-long follow would otherwise grow without bound. */
const MAX_LOG_CHARS = 1_000_000;
/** The first read's lines; the log route has no offset, so a follow again re-reads a tail too. */
const TAIL_LINES = 500;
/** The pause before following again after a follow ended while the run lives; doubled (to the cap) while refused. */
const REFOLLOW_MS = 2_000;
const REFOLLOW_MAX_MS = 30_000;

/** The end of `text` within MAX_LOG_CHARS, from a line's start, and whether anything was cut. */
function keepEnd(text: string): { text: string; cut: boolean } {
  if (text.length <= MAX_LOG_CHARS) return { text, cut: false };
  const end = text.slice(-MAX_LOG_CHARS);
  const line = end.indexOf('\n');
  return { text: line >= 0 ? end.slice(line + 1) : end, cut: true };
}

const lineCount = (text: string): number => text.split('\n').length;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

type Follow = 'connecting' | 'following' | 'lost';

/**
 * The driver log: the archived or current tail, and while the run lives, the lines as they are
 * written. A follow can end while the run still lives (on Kubernetes the pod's log cannot be read
 * while the driver pod is pending, and the API ends the stream; an API restart drops it): the
 * page then follows again after a pause, and says it is not following meanwhile.
 */
function DriverLog(props: { job: JobView }) {
  const { job } = props;
  const [text, setText] = useState<string | undefined>(undefined);
  const [cut, setCut] = useState(false);
  const [note, setNote] = useState<string | undefined>(undefined);
  const [follow, setFollow] = useState<Follow>('connecting');
  const live = job.run !== undefined && (job.state === 'launching' || job.state === 'running');
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (!job.run) {
      setText(undefined);
      setNote('No driver log yet: the job has no Spark run.');
      return;
    }
    const abort = new AbortController();
    const { signal } = abort;
    const path = { id: job.id };
    setNote(undefined);
    setCut(false);
    const failed = (error: unknown) =>
      setNote(error instanceof ApiError && error.status === 404 ? 'No driver log yet.' : `The driver log cannot be read: ${messageOf(error)}`);

    const readTail = async () => {
      try {
        const tail = await callOrEmpty(client.api.GET('/v1/jobs/{id}/logs', { params: { path, query: { tail: TAIL_LINES } }, parseAs: 'text', signal }));
        setText(tail ?? '');
      } catch (error) {
        if (!signal.aborted) failed(error);
      }
    };

    const followLog = async () => {
      let shown = '';
      let wasCut = false;
      let pause = REFOLLOW_MS;
      for (let first = true; !signal.aborted; first = false) {
        setFollow(first ? 'connecting' : 'lost');
        if (!first) await sleep(pause, signal);
        if (signal.aborted) return;
        try {
          // Again: as many lines as the page showed, replacing them (the route has no offset to go on from).
          const tail = first ? TAIL_LINES : Math.min(100_000, Math.max(TAIL_LINES, lineCount(shown)));
          const stream = await callOrEmpty(client.api.GET('/v1/jobs/{id}/logs', { params: { path, query: { tail, follow: true } }, parseAs: 'stream', signal }));
          setNote(undefined);
          pause = REFOLLOW_MS;
          if (first) setText('');
          if (!stream) continue; // an empty 200: the follow ended before it began
          setFollow('following');
          const reader = (stream as ReadableStream<Uint8Array>).getReader();
          const decoder = new TextDecoder();
          let fresh = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const kept = keepEnd(fresh + decoder.decode(value, { stream: true }));
            fresh = kept.text;
            wasCut ||= kept.cut;
            shown = fresh;
            setText(shown);
            setCut(wasCut);
          }
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ApiError && error.status === 401) return; // signed out: the app shows sign-in
          // Not started (refused, or Sluice unreachable): wait longer each time. A refusal is
          // worth saying; a dropped or unreachable connection is what the badge says.
          if (error instanceof ApiError) {
            if (error.status !== 0) failed(error);
            pause = Math.min(pause * 2, REFOLLOW_MAX_MS);
          }
        }
      }
    };

    void (live ? followLog() : readTail());
    return () => abort.abort();
  }, [job.id, job.run?.runId, live]);

  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);

  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">
        Driver log{' '}
        {live && follow === 'following' && <span class="badge live">following live</span>}
        {live && follow === 'lost' && <span class="badge">not connected: following again shortly</span>}
      </h2>
      {note && <p>{note}</p>}
      {cut && <p data-testid="log-cut">Only the last {MAX_LOG_CHARS / 1_000_000} MB of the log is kept here; the lines before it were cut.</p>}
      {text !== undefined && (
        <pre class="log" ref={pre} tabIndex={0} aria-label="Driver log" data-testid="driver-log">
          {text || (live ? '(empty so far)' : '(empty)')}
        </pre>
      )}
    </section>
  );
}

export function JobPage(props: { me: Me; id: string }) {
  const [job, setJob] = useState<JobView | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const [now, setNow] = useState(Date.now());

  const reload = () =>
    call(client.api.GET('/v1/jobs/{id}', { params: { path: { id: props.id } } })).then(
      (view) => {
        setJob(view);
        setError(undefined);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );
  useEffect(() => void reload(), [props.id]);
  const feed = useLiveFeed(`/v1/jobs/${encodeURIComponent(props.id)}/events`, () => void reload(), () => void reload());
  useEffect(() => {
    if (!job || FINAL_STATES.has(job.state)) return;
    const timer = setInterval(() => setNow(Date.now()), 2_000);
    return () => clearInterval(timer);
  }, [job?.state]);
  useEffect(() => {
    if (job?.state !== 'loading') return;
    const timer = setInterval(() => void reload(), LOAD_PROGRESS_READ_MS);
    return () => clearInterval(timer);
  }, [job?.state, props.id]);

  const act = async (action: 'cancel' | 'retry') => {
    setBusy(true);
    setActionError(undefined);
    try {
      const path = action === 'cancel' ? '/v1/jobs/{id}/cancel' : '/v1/jobs/{id}/retry';
      setJob(await call(client.api.POST(path, { params: { path: { id: props.id } } })));
      setConfirming(false);
    } catch (failure) {
      setActionError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    if (!job) return;
    try {
      await navigator.clipboard.writeText(curlOf(job));
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin, a refused permission): the command is shown below to copy by hand.
      setCopied(false);
    }
  };

  if (!job) {
    return (
      <>
        <h1>Job {props.id}</h1>
        {error ? <ErrorNote message={error} /> : <p role="status">Loading…</p>}
        <p>
          <Link href="/jobs">All jobs</Link>
        </p>
      </>
    );
  }

  const final = FINAL_STATES.has(job.state);
  const writable = canWrite(props.me);
  const link = sparkLink(job);
  return (
    <>
      <p class="crumbs">
        <Link href="/jobs">Jobs</Link> / <code>{job.id}</code>
      </p>
      <h1>
        Job <code>{job.id}</code> <StateBadge state={job.state} />
      </h1>
      <FeedBanner status={feed} />
      <ErrorNote message={error} />
      <dl class="facts">
        <dt>Pipeline</dt>
        <dd>
          <Link href={`/jobs?pipeline=${encodeURIComponent(job.pipeline)}`}>{job.pipeline}</Link>
        </dd>
        <dt>State</dt>
        <dd data-testid="job-state">{job.state}</dd>
        <dt>Attempt</dt>
        <dd>
          {job.attempt} of {job.maxAttempts}
        </dd>
        <dt>Created</dt>
        <dd>{localTime(job.createdAt)}</dd>
        <dt>Priority</dt>
        <dd>{job.priority}</dd>
        {job.traceId && (
          <>
            <dt>Trace id</dt>
            <dd>
              <code>{job.traceId}</code>
            </dd>
          </>
        )}
        {job.engine && (
          <>
            <dt>Engine</dt>
            <dd data-testid="engine">
              {job.engine.engine} <span class="muted">({job.engine.reason.replace(/^\w+: /, '')})</span>
            </dd>
          </>
        )}
        {job.run?.sparkState && (
          <>
            <dt>Spark state</dt>
            <dd data-testid="spark-state">{job.run.sparkState}</dd>
          </>
        )}
        {link && (
          <>
            <dt>{link.term}</dt>
            <dd>
              <a href={link.href} rel="noreferrer noopener" target="_blank">
                {link.text}
              </a>
            </dd>
          </>
        )}
      </dl>

      <LoadsInProgress job={job} now={now} />

      <section aria-labelledby="actions-title" class="actions">
        <h2 id="actions-title" class="visually-hidden">
          Actions
        </h2>
        {!final && job.cancelRequested && (
          <p class="reason" data-testid="cancel-requested">
            Cancel requested: the worker is stopping this job (its Spark run, or its SQL load, which rolls back).
          </p>
        )}
        {writable && !final && !job.cancelRequested && !confirming && (
          <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>
            Cancel job…
          </button>
        )}
        {writable && !final && !job.cancelRequested && confirming && (
          <div role="group" aria-labelledby="confirm-text" class="confirm">
            <p id="confirm-text">Cancel this job? A running Spark run is stopped; the job ends as cancelled (it can be retried).</p>
            <button type="button" class="danger" disabled={busy} onClick={() => act('cancel')}>
              Yes, cancel the job
            </button>{' '}
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
              No, keep it
            </button>
          </div>
        )}
        {writable && (job.state === 'failed' || job.state === 'cancelled') && (
          <button type="button" disabled={busy} onClick={() => act('retry')}>
            Retry job
          </button>
        )}
        <button type="button" class="quiet" onClick={copy}>
          {copied ? 'Copied the curl command' : 'Copy curl command'}
        </button>
        <ErrorNote message={actionError} />
        <details>
          <summary>curl command that submits this job again</summary>
          <pre class="command">{curlOf(job)}</pre>
        </details>
      </section>

      {job.failure && (
        <section aria-labelledby="failure-title" class="failure">
          <h2 id="failure-title">Why it failed</h2>
          <p>
            <strong>{job.failure.class}</strong> failure in <strong>{job.failure.stage}</strong> (attempt {job.failure.attempt}):{' '}
            <span data-testid="failure-message">{job.failure.message}</span>
          </p>
          {job.failure.input && (
            <p>
              Input: <code>{job.failure.input}</code>
            </p>
          )}
          {job.failure.logTail && (
            <details open>
              <summary>Driver log tail</summary>
              <pre class="log">{job.failure.logTail}</pre>
            </details>
          )}
        </section>
      )}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline job={job} now={now} />
      </section>

      <section aria-labelledby="inputs-title">
        <h2 id="inputs-title">Inputs and parameters</h2>
        {job.inputs.length === 0 ? (
          <p>No inputs.</p>
        ) : (
          <ul>
            {job.inputs.map((input) => (
              <li key={input}>
                <code>{input}</code> <Link href={`/landings?path=${encodeURIComponent(input.split('/').pop() ?? input)}`}>its landings</Link>
              </li>
            ))}
          </ul>
        )}
        <dl class="facts">
          {Object.entries(job.parameters).map(([name, value]) => (
            <Fragment key={`p-${name}`}>
              <dt>{name}</dt>
              <dd>
                <code>{JSON.stringify(value)}</code>
              </dd>
            </Fragment>
          ))}
          {Object.entries(job.labels).map(([name, value]) => (
            <Fragment key={`l-${name}`}>
              <dt>label {name}</dt>
              <dd>{value}</dd>
            </Fragment>
          ))}
        </dl>
      </section>

      {job.output && (
        <section aria-labelledby="output-title">
          <h2 id="output-title">Committed run</h2>
          <dl class="facts">
            <dt>Lake path</dt>
            <dd>
              <code>{job.output.runUri}</code>
            </dd>
            <dt>Table</dt>
            <dd>{job.output.table}</dd>
            <dt>Rows in / out</dt>
            <dd>
              {job.output.rowsIn} / {job.output.rowsOut}
            </dd>
            <dt>Files</dt>
            <dd>
              {job.output.files} ({bytes(job.output.bytes)})
            </dd>
            <dt>Committed</dt>
            <dd>{localTime(job.output.committedAt)}</dd>
          </dl>
        </section>
      )}

      {job.loads && job.loads.length > 0 && (
        <section aria-labelledby="loads-title">
          <h2 id="loads-title">SQL loads</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Sink</th>
                <th scope="col">Table</th>
                <th scope="col">Mode</th>
                <th scope="col">Staged</th>
                <th scope="col">Inserted</th>
                <th scope="col">Updated</th>
                <th scope="col">Deleted</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {job.loads.map((load) => (
                <tr key={`${load.sink}-${load.runAttempt}`}>
                  <td>{load.sink}</td>
                  <td>{load.table}</td>
                  <td>{load.mode}{load.alreadyLoaded ? ' (already loaded)' : ''}</td>
                  <td>{load.rowsStaged}</td>
                  <td>{load.inserted}</td>
                  <td>{load.updated}</td>
                  <td>{load.deleted}</td>
                  <td>{duration(load.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <JobAlerts jobId={job.id} />
      <DriverLog job={job} />
    </>
  );
}
