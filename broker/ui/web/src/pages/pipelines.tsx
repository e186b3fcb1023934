// Pipelines: the list, and one pipeline's page — its definition as loaded (defaults filled
// in, shown as YAML), where its files come from, its schedule with the next run times, its
// recent jobs, and Run now: a form made from the pipeline's declared parameters that submits
// through POST /v1/jobs like any script would.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { stringify } from 'yaml';
import { call, canWrite, client, messageOf, type JobView, type Me, type Pipeline } from '../api.ts';
import { ErrorNote, Link, StateBadge } from '../components.tsx';
import { ago, localTime } from '../format.ts';
import { navigate, BASE } from '../router.ts';

const RECENT_JOBS = 10;

type Parameter = NonNullable<Pipeline['parameters']>[string];
type ParameterValue = string | number | boolean;

export function PipelinesPage() {
  const [pipelines, setPipelines] = useState<Pipeline[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    call(client.api.GET('/v1/pipelines')).then(
      (list) => setPipelines(list.items),
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, []);
  return (
    <>
      <h1>Pipelines</h1>
      <ErrorNote message={error} />
      {pipelines === undefined && !error && <p role="status">Loading…</p>}
      {pipelines?.length === 0 && <p>No pipelines are loaded. Put pipeline YAML files in the folder SLUICE_PIPELINES_DIR names.</p>}
      {pipelines && pipelines.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">Pipelines loaded by this Sluice</caption>
          <thead>
            <tr>
              <th scope="col">Pipeline</th>
              <th scope="col">Engine</th>
              <th scope="col">Landings from</th>
              <th scope="col">Schedule</th>
              <th scope="col">Outputs</th>
            </tr>
          </thead>
          <tbody>
            {pipelines.map((pipeline) => (
              <tr key={pipeline.name}>
                <td>
                  <Link href={`/pipelines/${encodeURIComponent(pipeline.name)}`}>{pipeline.name}</Link>
                  {pipeline.description && <div class="muted">{pipeline.description}</div>}
                </td>
                <td>{pipeline.engine?.launcher ?? 'local'}</td>
                <td>{sourcesOf(pipeline).join(', ') || <span class="muted">API only</span>}</td>
                <td>{pipeline.schedule?.cron ?? <span class="muted">none</span>}</td>
                <td>{outputsOf(pipeline).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function PipelinePage(props: { me: Me; name: string }) {
  const [pipeline, setPipeline] = useState<Pipeline | undefined>(undefined);
  const [jobs, setJobs] = useState<JobView[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    setPipeline(undefined);
    setJobs(undefined);
    call(client.api.GET('/v1/pipelines/{name}', { params: { path: { name: props.name } } })).then(
      (loaded) => {
        setPipeline(loaded);
        setError(undefined);
      },
      (failure: unknown) => setError(messageOf(failure)),
    );
    call(client.api.GET('/v1/jobs', { params: { query: { pipeline: props.name, limit: RECENT_JOBS } } })).then(
      (page) => setJobs(page.items),
      () => setJobs([]),
    );
  }, [props.name]);

  if (!pipeline) {
    return (
      <>
        <h1>Pipeline {props.name}</h1>
        <ErrorNote message={error} />
        {!error && <p role="status">Loading…</p>}
      </>
    );
  }
  const schedule = pipeline.schedule;
  const nextRuns = pipeline.nextRuns ?? [];
  return (
    <>
      <h1>Pipeline {pipeline.name}</h1>
      {pipeline.description && <p>{pipeline.description}</p>}
      <ErrorNote message={error} />
      <section aria-labelledby="sources">
        <h2 id="sources">Where its jobs come from</h2>
        <ul>
          {sourcesOf(pipeline).map((source) => (
            <li key={source}>
              Landings in <code>{source}</code>
            </li>
          ))}
          {defaultInputs(pipeline).length > 0 && (
            <li>
              Default inputs (a submit that names none): {defaultInputs(pipeline).map((path) => <code key={path}>{path} </code>)}
            </li>
          )}
          <li>The API (POST /v1/jobs), and Run now below.</li>
        </ul>
      </section>
      <section aria-labelledby="schedule">
        <h2 id="schedule">Schedule</h2>
        {schedule ? (
          <>
            <p>
              <code>{schedule.cron}</code> in {schedule.timezone ?? 'UTC'}
              {schedule.catchup && <> · a tick missed while Sluice was down: {schedule.catchup === 'none' ? 'skipped' : 'runs once at start'}</>}
            </p>
            {nextRuns.length > 0 && (
              <>
                <h3>Next runs</h3>
                <ul>
                  {nextRuns.map((time) => (
                    <li key={time}>
                      <time dateTime={time}>{localTime(time)}</time>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        ) : (
          <p>None: jobs start from landings and the API.</p>
        )}
      </section>
      {canWrite(props.me) && <RunNow pipeline={pipeline} />}
      <section aria-labelledby="recent">
        <h2 id="recent">Recent jobs</h2>
        {jobs === undefined && <p role="status">Loading…</p>}
        {jobs?.length === 0 && <p>No jobs yet.</p>}
        {jobs && jobs.length > 0 && (
          <table class="table">
            <caption class="visually-hidden">The pipeline's latest jobs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Submitted</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id}>
                  <td>
                    <Link href={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</Link>
                  </td>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td title={localTime(job.createdAt)}>{ago(job.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <Link href={`/jobs?pipeline=${encodeURIComponent(pipeline.name)}`}>All jobs of {pipeline.name}</Link>
        </p>
      </section>
      <section aria-labelledby="definition">
        <h2 id="definition">Definition as loaded</h2>
        <p class="muted">With every default filled in; durations in milliseconds.</p>
        <pre class="log" tabIndex={0} aria-label={`Definition of ${pipeline.name}`}>
          {stringify(pipeline)}
        </pre>
      </section>
    </>
  );
}

/** Run now: one field per declared parameter (typed, default filled in), and optional inputs. */
function RunNow(props: { pipeline: Pipeline }) {
  const declared = Object.entries(props.pipeline.parameters ?? {});
  const [values, setValues] = useState<Record<string, ParameterValue | ''>>(() =>
    Object.fromEntries(declared.map(([name, parameter]) => [name, parameter.default ?? (parameter.type === 'boolean' ? false : '')])),
  );
  const [inputs, setInputs] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  // One key per filled-in form: a double click or a retried request makes one job, not two.
  const idempotencyKey = useMemo(() => `ui-run-now:${crypto.randomUUID()}`, [props.pipeline.name]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const parameters = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
      const listed = inputs.split('\n').map((line) => line.trim()).filter(Boolean);
      const created = await call(
        client.api.POST('/v1/jobs', {
          body: { pipeline: props.pipeline.name, parameters, ...(listed.length > 0 ? { inputs: listed } : {}), labels: { trigger: 'dashboard' } },
          params: { header: { 'idempotency-key': idempotencyKey } },
        }),
      );
      navigate(`${BASE}/jobs/${encodeURIComponent(created.id)}`);
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="run-now">
      <h2 id="run-now">Run now</h2>
      <form class="run-now" onSubmit={submit}>
        {declared.map(([name, parameter]) => (
          <ParameterField key={name} name={name} parameter={parameter} value={values[name] ?? ''} onChange={(value) => setValues({ ...values, [name]: value })} />
        ))}
        <label>
          Inputs <span class="muted">(one file or folder per line; empty: {defaultInputs(props.pipeline).length > 0 ? 'the pipeline\'s default inputs' : 'none, so give at least one'})</span>
          <textarea rows={3} value={inputs} onInput={(event) => setInputs((event.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : `Run ${props.pipeline.name} now`}
        </button>
      </form>
    </section>
  );
}

function ParameterField(props: { name: string; parameter: Parameter; value: ParameterValue | ''; onChange: (value: ParameterValue | '') => void }) {
  const { name, parameter } = props;
  const hint = parameter.description ? ` — ${parameter.description}` : '';
  if (parameter.type === 'boolean') {
    return (
      <label class="check">
        <input type="checkbox" name={name} checked={props.value === true} onChange={(event) => props.onChange((event.currentTarget as HTMLInputElement).checked)} />
        {name}
        <span class="muted">{hint}</span>
      </label>
    );
  }
  const label = (
    <>
      {name} <span class="muted">({parameter.type}{parameter.default === undefined ? ', required' : ''}){hint}</span>
    </>
  );
  const required = parameter.default === undefined;
  const text = (event: Event) => (event.currentTarget as HTMLInputElement).value;
  if (parameter.type === 'number') {
    return (
      <label>
        {label}
        <input name={name} type="number" step="any" required={required} value={String(props.value)} onInput={(event) => props.onChange(text(event) === '' ? '' : Number(text(event)))} />
      </label>
    );
  }
  return (
    <label>
      {label}
      <input name={name} type="text" required={required} value={String(props.value)} onInput={(event) => props.onChange(text(event))} />
    </label>
  );
}

function defaultInputs(pipeline: Pipeline): string[] {
  return pipeline.input.paths ?? [];
}

function sourcesOf(pipeline: Pipeline): string[] {
  return (pipeline.sources ?? []).map((source) => (source.kind === 'fs' ? source.path : `s3://${source.bucket}/${source.prefix}`));
}

function outputsOf(pipeline: Pipeline): string[] {
  const sql = pipeline.outputs.sql;
  const sinks = sql === undefined ? [] : Array.isArray(sql) ? sql : [sql];
  return [`lake: ${pipeline.outputs.lake.table}`, ...sinks.map((sink) => `sql: ${sink.table}`)];
}
