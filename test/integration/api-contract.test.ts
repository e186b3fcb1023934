// The API's contract, checked against what the API really answers: every route is called
// through app.request() over real Redis and BullMQ (and, for the 503s, a Redis the test
// stops), and every answer — success and problem alike — must be a status the committed
// docs/openapi.json documents for that operation, with a documented content type and a body
// its JSON Schema accepts (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). At the end, every
// status the document lists for every operation must have been seen: a documented answer
// nobody can produce, or one the API gives undocumented, fails here.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from '../../broker/core/state-machine.ts';
import { SluiceClient } from '../../broker/cli/sluice-client.ts';
import { sourceId } from '../../broker/core/landing-config.ts';
import { PipelineSchema } from '../../broker/core/pipeline.ts';
import { fsFingerprint } from '../../watchers/fingerprint.ts';
import { type ApiContext, ApiTestServer, json, salesPipeline } from './api-fixture.ts';

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type Document = { paths: Record<string, Record<string, Operation>> };

const DOCUMENT_ID = 'sluice-openapi';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let document: Document;
let ajv: Ajv2020;
let server: ApiTestServer;
let ctx: ApiContext;
/** A second Redis, stopped by the outage tests: the request path then answers 503. */
let downServer: ApiTestServer;
let down: ApiContext;
/** "getJob 404" for every answer validated. */
const seen = new Set<string>();

beforeAll(async () => {
  document = JSON.parse(await readFile('docs/openapi.json', 'utf8')) as Document;
  ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  // ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
  const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  server = await ApiTestServer.start();
  ctx = await server.context({ requestPath: true });
  downServer = await ApiTestServer.start();
  down = await downServer.context({ requestPath: true });
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await down?.close();
  await server?.stop();
  await downServer?.stop().catch(() => undefined);
});

const pointer = (...segments: string[]): string => segments.map((segment) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

type Call = {
  params?: Record<string, string>;
  query?: string;
  key?: string | null;
  init?: RequestInit;
  on?: ApiContext;
};

/**
 * Calls `method template` and checks the answer against the document; returns the parsed
 * JSON body (or the text). Server-Sent Events are checked by status and content type only:
 * their payloads are the event stream's own contract.
 */
async function call(method: string, template: string, expected: number, options: Call = {}): Promise<unknown> {
  const target = options.on ?? ctx;
  const path = template.replace(/\{(\w+)\}/g, (_whole, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
  const response = await target.call(`${path}${options.query ? `?${options.query}` : ''}`, {
    method: method.toUpperCase(),
    ...options.init,
    ...(options.key !== undefined ? { key: options.key } : {}),
  });
  const operation = document.paths[template]?.[method];
  expect(operation, `${method.toUpperCase()} ${template} is in the document`).toBeDefined();
  const label = `${operation!.operationId} ${response.status}`;
  const documented = operation!.responses[String(response.status)];
  const contentType = (response.headers.get('Content-Type') ?? '').split(';')[0]!.trim();
  if (contentType === 'text/event-stream') await response.body?.cancel();
  const text = contentType === 'text/event-stream' ? '' : await response.text();
  expect(response.status, `${label}: ${text.slice(0, 300)}`).toBe(expected);
  expect(documented, `${label} is documented`).toBeDefined();
  const content = documented!.content ?? {};
  expect(Object.keys(content), `${label} content type`).toContain(contentType);
  if (contentType.endsWith('json')) {
    const body: unknown = JSON.parse(text);
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/${pointer('paths', template, method, 'responses', String(response.status), 'content', contentType, 'schema')}`);
    expect(validate, `${label} has a schema`).toBeDefined();
    const valid = validate!(body);
    expect(valid ? [] : validate!.errors, `${label} body matches the document: ${text.slice(0, 300)}`).toEqual([]);
    seen.add(label);
    return body;
  }
  if (contentType === 'text/plain') expect(typeof text).toBe('string');
  seen.add(label);
  return text;
}

const submitBody = (labels: Record<string, string> = {}) => json({ pipeline: 'sales', inputs: ['sales'], labels });
/** A body over the fixture's 64 KiB limit: every route that takes a POST refuses it, reading a body or not. */
const tooLarge = () => json({ padding: 'x'.repeat(70_000) });

/** Moves a job along as a worker would, through the store's compare-and-set. */
async function advance(id: string, ...states: ('launching' | 'running')[]): Promise<void> {
  for (const state of states) {
    await ctx.store.update(id, (job) =>
      transition(job, state, new Date(), 'test', state === 'running' ? { run: { launcher: 'test-file', runId: `${id}-1`, attempt: 1, startedAt: new Date().toISOString() } } : {}),
    );
  }
}

describe('the committed document', () => {
  it('is the one the API serves at /openapi.json', async () => {
    const served = await (await ctx.call('/openapi.json', { key: null })).json();
    expect(served).toEqual(document);
  });

  it('names its schemas, gives every operation a unique operationId and keeps internal job fields out of JobView', () => {
    const ids = Object.values(document.paths).flatMap((item) => Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([, operation]) => operation.operationId));
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const schemas = (document as unknown as { components: { schemas: Record<string, { properties: Record<string, unknown>; additionalProperties?: boolean }> } }).components.schemas;
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(['JobView', 'JobPage', 'SubmitRequest', 'Problem', 'Pipeline', 'Landing', 'Queue']));
    for (const internal of ['finalized', 'retryAt', 'idempotencyScope']) expect(Object.keys(schemas.JobView!.properties)).not.toContain(internal);
    // A cancel asked for and not yet carried out is the user's to see (ADR 0016's amendment).
    expect(Object.keys(schemas.JobView!.properties)).toContain('cancelRequested');
    expect(schemas.JobView!.additionalProperties).toBe(false);
  });
});

describe('every route, as answered, matches the document', () => {
  it('jobs: submit, list, get, cancel, retry, logs', async () => {
    const created = (await call('post', '/v1/jobs', 201, { init: submitBody({ case: 'created' }), key: ctx.keys.writer })) as { id: string };
    const keyed = { ...submitBody({ case: 'keyed' }), headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'contract-1' } };
    await call('post', '/v1/jobs', 201, { init: keyed });
    await call('post', '/v1/jobs', 200, { init: keyed });
    await call('post', '/v1/jobs', 409, { init: { ...submitBody({ case: 'other body' }), headers: keyed.headers } });
    await call('post', '/v1/jobs', 400, { init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"pipeline":' } });
    await call('post', '/v1/jobs', 415, { init: { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'pipeline=sales' } });
    // Over the fixture's 64 KiB body limit.
    await call('post', '/v1/jobs', 413, { init: json({ pipeline: 'sales', inputs: Array.from({ length: 2_000 }, (_, i) => `sales/${'x'.repeat(40)}-${i}.parquet`) }) });
    await call('post', '/v1/jobs', 422, { init: json({ pipeline: 'no-such-pipeline' }) });
    await call('post', '/v1/jobs', 401, { init: submitBody(), key: null });
    await call('post', '/v1/jobs', 403, { init: submitBody(), key: ctx.keys.reader });

    // The Idempotency-Key's published pattern is the one the API applies: a client that checks
    // a key against the document before sending it sends none the API refuses, and refuses none
    // the API takes (an Airflow run id, say, with its ':' and '.').
    const parameters = (document.paths['/v1/jobs']!.post as unknown as { parameters: Array<{ name: string; schema: { pattern?: string } }> }).parameters;
    const published = parameters.find((parameter) => parameter.name === 'idempotency-key')?.schema.pattern;
    expect(published, 'the Idempotency-Key header publishes its pattern').toBeDefined();
    const keys = ['k', 'x'.repeat(200), 'airflow:daily_sales:load:scheduled__2026-12-01T00.00.00_00.00:0f3a', 'x'.repeat(201), 'has spaces', 'plus+sign', 'slash/in', 'ünïcode'];
    for (const [i, key] of keys.entries()) {
      const init = { ...submitBody({ case: `pattern-${i}` }), headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } };
      await call('post', '/v1/jobs', new RegExp(published!).test(key) ? 201 : 400, { init });
    }

    const page = (await call('get', '/v1/jobs', 200, { query: 'limit=1' })) as { items: unknown[]; nextCursor?: string };
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toBeDefined();
    await call('get', '/v1/jobs', 200, { query: `limit=1&cursor=${page.nextCursor}&state=queued&pipeline=sales` });
    await call('get', '/v1/jobs', 200, { query: 'state=queued&order=oldest&limit=1' });
    await call('get', '/v1/jobs', 422, { query: 'limit=0' });
    await call('get', '/v1/jobs', 401, { key: null });
    await call('get', '/v1/jobs', 403, { key: ctx.keys.producer });

    const id = { id: created.id };
    const shown = (await call('get', '/v1/jobs/{id}', 200, { params: id, key: ctx.keys.reader })) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: created.id, state: 'queued', stage: 'queue' });
    await call('get', '/v1/jobs/{id}', 404, { params: { id: 'j-no-such-job' } });
    await call('get', '/v1/jobs/{id}', 422, { params: { id: 'not.a.job.id' } });
    await call('get', '/v1/jobs/{id}', 401, { params: id, key: null });
    await call('get', '/v1/jobs/{id}', 403, { params: id, key: ctx.keys.producer });

    // Logs exist once a run does: the job is moved to running as a worker would.
    await call('get', '/v1/jobs/{id}/logs', 404, { params: id });
    await advance(created.id, 'launching', 'running');
    await ctx.launcher.writeLog(`${created.id}-1`, 'driver started\n');
    expect(await call('get', '/v1/jobs/{id}/logs', 200, { params: id, query: 'tail=5' })).toBe('driver started\n');
    await call('get', '/v1/jobs/{id}/logs', 422, { params: id, query: 'tail=0' });
    await call('get', '/v1/jobs/{id}/logs', 422, { params: { id: 'not.a.job.id' } });
    await call('get', '/v1/jobs/{id}/logs', 401, { params: id, key: null });
    await call('get', '/v1/jobs/{id}/logs', 403, { params: id, key: ctx.keys.producer });

    // A running job is marked (202 with the job as it stands); a queued one is cancelled at once.
    const marked = (await call('post', '/v1/jobs/{id}/cancel', 202, { params: id })) as Record<string, unknown>;
    expect(marked).toMatchObject({ state: 'running', cancelRequested: true });
    const queued = (await call('post', '/v1/jobs', 201, { init: submitBody({ case: 'to cancel' }) })) as { id: string };
    await call('post', '/v1/jobs/{id}/retry', 409, { params: { id: queued.id } });
    expect(await call('post', '/v1/jobs/{id}/cancel', 202, { params: { id: queued.id } })).toMatchObject({ state: 'cancelled' });
    await call('post', '/v1/jobs/{id}/cancel', 409, { params: { id: queued.id } });
    await call('post', '/v1/jobs/{id}/cancel', 404, { params: { id: 'j-no-such-job' } });
    await call('post', '/v1/jobs/{id}/cancel', 422, { params: { id: 'not.a.job.id' } });
    await call('post', '/v1/jobs/{id}/cancel', 401, { params: id, key: null });
    await call('post', '/v1/jobs/{id}/cancel', 403, { params: id, key: ctx.keys.reader });
    await call('post', '/v1/jobs/{id}/cancel', 413, { params: id, init: tooLarge() });

    expect(await call('post', '/v1/jobs/{id}/retry', 202, { params: { id: queued.id } })).toMatchObject({ state: 'queued', attempt: 2 });
    await call('post', '/v1/jobs/{id}/retry', 404, { params: { id: 'j-no-such-job' } });
    await call('post', '/v1/jobs/{id}/retry', 422, { params: { id: 'not.a.job.id' } });
    await call('post', '/v1/jobs/{id}/retry', 401, { params: id, key: null });
    await call('post', '/v1/jobs/{id}/retry', 403, { params: id, key: ctx.keys.reader });
    await call('post', '/v1/jobs/{id}/retry', 413, { params: id, init: tooLarge() });
  });

  it('events (SSE): status codes and content type', async () => {
    const job = (await call('post', '/v1/jobs', 201, { init: submitBody({ case: 'events' }) })) as { id: string };
    await call('get', '/v1/events', 200, { query: 'pipeline=sales' });
    await call('get', '/v1/events', 422, { query: 'pipeline=Not_A_Name' });
    await call('get', '/v1/events', 401, { key: null });
    await call('get', '/v1/events', 403, { key: ctx.keys.producer });
    await call('get', '/v1/jobs/{id}/events', 200, { params: { id: job.id } });
    await call('get', '/v1/jobs/{id}/events', 404, { params: { id: 'j-no-such-job' } });
    await call('get', '/v1/jobs/{id}/events', 422, { params: { id: 'not.a.job.id' } });
    await call('get', '/v1/jobs/{id}/events', 401, { params: { id: job.id }, key: null });
    await call('get', '/v1/jobs/{id}/events', 403, { params: { id: job.id }, key: ctx.keys.producer });
  });

  it('events (SSE): every data frame is a SluiceEvent as the document publishes it', async () => {
    const job = (await call('post', '/v1/jobs', 201, { init: submitBody({ case: 'event-frames' }) })) as { id: string };
    await advance(job.id, 'launching', 'running');
    const response = await ctx.call(`/v1/jobs/${job.id}/events?since=0-0`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // queued, launching, running: three frames, each ended by a blank line.
    while ((text.match(/^data: /gm) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]!) as { type: string });
    expect(events.map((event) => event.type)).toEqual(['job.queued', 'job.launching', 'job.running']);
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/SluiceEvent`)!;
    for (const event of events) expect(validate(event) ? [] : validate.errors, JSON.stringify(event)).toEqual([]);
  });

  it('pipelines, with the JVM sizes the API serves accepted by their published pattern', async () => {
    const list = (await call('get', '/v1/pipelines', 200, { key: ctx.keys.reader })) as { items: Array<{ name: string; engine: { driver_memory: string } }> };
    expect(list.items.map((pipeline) => pipeline.name).sort()).toEqual(['returns', 'sales']);
    expect(list.items[0]!.engine.driver_memory).toBe('1g');
    await call('get', '/v1/pipelines', 401, { key: null });
    await call('get', '/v1/pipelines', 403, { key: ctx.keys.producer });
    await call('get', '/v1/pipelines/{name}', 200, { params: { name: 'sales' } });
    await call('get', '/v1/pipelines/{name}', 404, { params: { name: 'no-such-pipeline' } });
    await call('get', '/v1/pipelines/{name}', 422, { params: { name: 'Not_A_Name' } });
    await call('get', '/v1/pipelines/{name}', 401, { params: { name: 'sales' }, key: null });
    await call('get', '/v1/pipelines/{name}', 403, { params: { name: 'sales' }, key: ctx.keys.producer });
    const runs = (await call('get', '/v1/stats/runs', 200, { query: 'hours=24', key: ctx.keys.reader })) as { items: Array<{ pipeline: string; trend: { succeeded: number[] } }> };
    expect(runs.items.map((row) => row.pipeline)).toEqual(expect.arrayContaining(['returns', 'sales']));
    expect(runs.items[0]!.trend.succeeded).toHaveLength(24);
    await call('get', '/v1/stats/runs', 422, { query: 'hours=0' });
    await call('get', '/v1/stats/runs', 401, { key: null });
    await call('get', '/v1/stats/runs', 403, { key: ctx.keys.producer });
    await call('get', '/v1/watchers', 200, { key: ctx.keys.reader });
    await call('get', '/v1/watchers', 401, { key: null });
    await call('get', '/v1/watchers', 403, { key: ctx.keys.producer });
  });

  it('queues and landings', async () => {
    const queues = (await call('get', '/v1/queues', 200, { key: ctx.keys.reader })) as { items: Array<{ name: string }> };
    const name = queues.items[0]!.name;
    await call('get', '/v1/queues', 401, { key: null });
    await call('get', '/v1/queues', 403, { key: ctx.keys.producer });
    for (const action of ['pause', 'resume']) {
      const template = `/v1/queues/{name}/${action}`;
      expect(await call('post', template, 200, { params: { name } })).toMatchObject({ name, paused: action === 'pause' });
      await call('post', template, 404, { params: { name: 'no-such-queue' } });
      await call('post', template, 422, { params: { name: 'q'.repeat(65) } });
      await call('post', template, 401, { params: { name }, key: null });
      await call('post', template, 403, { params: { name }, key: ctx.keys.writer });
      await call('post', template, 413, { params: { name }, init: tooLarge() });
    }
    await call('get', '/v1/landings', 200, { query: 'state=ready&limit=10' });
    await call('get', '/v1/landings', 422, { query: 'state=nonsense' });
    await call('get', '/v1/landings', 401, { key: null });
    await call('get', '/v1/landings', 403, { key: ctx.keys.producer });
    await call('get', '/v1/landings', 200, { query: 'path=day%3D1&limit=10' });

    // Re-admitting needs a landing of a watched source: an app whose pipeline watches a folder.
    const folder = await mkdtemp(join(tmpdir(), 'sluice-contract-landing-'));
    const watched = await server.context({ requestPath: true, pipelines: [PipelineSchema.parse({ ...salesPipeline, name: 'landed', sources: [{ kind: 'fs', path: folder }] })] });
    try {
      const uri = join(folder, 'bad.parquet');
      await writeFile(uri, 'not parquet');
      const stats = await stat(uri);
      const source = sourceId({ kind: 'fs', path: folder });
      const fingerprint = fsFingerprint(source, 'bad.parquet', stats.size, stats.mtimeMs);
      await watched.landings.markReady({ fingerprint, source, path: 'bad.parquet', uri, size: stats.size, mtimeMs: Math.floor(stats.mtimeMs), ino: stats.ino });
      await watched.landings.quarantine([fingerprint], 'not a readable Parquet file');
      const template = '/v1/landings/{fingerprint}/readmit';
      await call('post', template, 403, { on: watched, params: { fingerprint }, key: watched.keys.reader });
      await call('post', template, 401, { on: watched, params: { fingerprint }, key: null });
      expect(await call('post', template, 200, { on: watched, params: { fingerprint }, key: watched.keys.producer })).toMatchObject({ state: 'ready', readmittedBy: 'API key "producer"' });
      await call('post', template, 409, { on: watched, params: { fingerprint } });
      await call('post', template, 404, { on: watched, params: { fingerprint: '0'.repeat(40) } });
      await call('post', template, 422, { on: watched, params: { fingerprint: 'not-a-fingerprint' } });
      await call('post', template, 413, { on: watched, params: { fingerprint }, init: tooLarge() });
    } finally {
      await watched.close();
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('health and metrics', async () => {
    await call('get', '/healthz', 200, { key: null });
    await call('get', '/readyz', 200, { key: null });
    expect(await call('get', '/metrics', 200)).toMatch(/^# HELP /m);
    await call('get', '/metrics', 401, { key: null });
    await call('get', '/metrics', 403, { key: ctx.keys.writer });
  });

  it('notifications: a job\'s webhook deliveries and the recent failed ones', async () => {
    const job = (await call('post', '/v1/jobs', 201, { init: submitBody({ case: 'notifications' }) })) as { id: string };
    const id = { id: job.id };
    const attempt = { target: 'ops', event: 'job.failed' as const, delivery: 'ops.1-0', pipeline: 'sales', jobId: job.id, at: new Date().toISOString() };
    await ctx.notifications.record({ jobId: job.id }, { ...attempt, attempt: 1, ok: false, status: 500, error: 'the target answered 500' });
    await ctx.notifications.record({ jobId: job.id }, { ...attempt, attempt: 2, ok: false, error: 'could not reach the target: ECONNREFUSED', final: true });
    const log = (await call('get', '/v1/jobs/{id}/notifications', 200, { params: id, key: ctx.keys.reader })) as { items: unknown[] };
    expect(log.items).toHaveLength(2);
    await call('get', '/v1/jobs/{id}/notifications', 404, { params: { id: 'j-no-such-job' } });
    await call('get', '/v1/jobs/{id}/notifications', 422, { params: { id: 'not.a.job.id' } });
    await call('get', '/v1/jobs/{id}/notifications', 401, { params: id, key: null });
    await call('get', '/v1/jobs/{id}/notifications', 403, { params: id, key: ctx.keys.producer });
    const failed = (await call('get', '/v1/notifications', 200, { query: 'failed=true', key: ctx.keys.reader })) as { items: Array<{ attempt: number }>; total: number };
    expect(failed).toMatchObject({ total: 1, items: [{ attempt: 2 }] });
    await call('get', '/v1/notifications', 422, { query: 'limit=0' });
    await call('get', '/v1/notifications', 401, { key: null });
    await call('get', '/v1/notifications', 403, { key: ctx.keys.producer });
  });

  it('every route that reads Redis answers a documented 503 while Redis is away', async () => {
    const job = (await call('post', '/v1/jobs', 201, { on: down, init: submitBody() })) as { id: string };
    const queueName = ((await call('get', '/v1/queues', 200, { on: down })) as { items: Array<{ name: string }> }).items[0]!.name;
    await downServer.stop();
    const id = { id: job.id };
    await call('post', '/v1/jobs', 503, { on: down, init: submitBody() });
    await call('get', '/v1/jobs', 503, { on: down });
    await call('get', '/v1/jobs/{id}', 503, { on: down, params: id });
    await call('post', '/v1/jobs/{id}/cancel', 503, { on: down, params: id });
    await call('post', '/v1/jobs/{id}/retry', 503, { on: down, params: id });
    await call('get', '/v1/jobs/{id}/logs', 503, { on: down, params: id });
    await call('get', '/v1/jobs/{id}/events', 503, { on: down, params: id });
    await call('get', '/v1/events', 503, { on: down });
    await call('get', '/v1/queues', 503, { on: down });
    await call('get', '/v1/stats/runs', 503, { on: down });
    await call('get', '/v1/watchers', 503, { on: down });
    await call('get', '/v1/landings', 503, { on: down });
    await call('get', '/v1/jobs/{id}/notifications', 503, { on: down, params: id });
    await call('get', '/v1/notifications', 503, { on: down });
    await call('post', '/v1/landings/{fingerprint}/readmit', 503, { on: down, params: { fingerprint: '0'.repeat(40) } });
    await call('post', '/v1/queues/{name}/pause', 503, { on: down, params: { name: queueName } });
    await call('post', '/v1/queues/{name}/resume', 503, { on: down, params: { name: queueName } });
    expect(await call('get', '/readyz', 503, { on: down, key: null })).toMatchObject({ status: 'not-ready' });
  }, 30_000);

  it('the generated client reads these answers with its own types', async () => {
    const client = new SluiceClient('http://sluice.test', ctx.keys.admin, { fetch: async (request) => ctx.app.request(request) });
    const job = await client.submit({ pipeline: 'sales', inputs: ['sales'], labels: { case: 'client' } }, 'contract-client');
    expect(job.stage).toBe('queue');
    const again = await client.submit({ pipeline: 'sales', inputs: ['sales'], labels: { case: 'client' } }, 'contract-client');
    expect(again.id).toBe(job.id);
    const refused = await client.data(client.api.GET('/v1/pipelines/{name}', { params: { path: { name: 'Not_A_Name' } } })).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 422, problem: { errors: [{ path: 'name' }] } });
    expect((refused as Error).message).toMatch(/^Unprocessable content: .*\n {2}name: /);
  });

  it('covered every status of every operation the document lists', () => {
    const missing: string[] = [];
    for (const item of Object.values(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        for (const status of Object.keys(operation.responses)) if (!seen.has(`${operation.operationId} ${status}`)) missing.push(`${operation.operationId} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
