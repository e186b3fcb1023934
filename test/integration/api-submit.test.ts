// POST /v1/jobs, GET /v1/jobs and GET /v1/jobs/{id} against real Redis and BullMQ: every
// refused request answers problem+json with the field path and leaves nothing queued.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiContext, ApiTestServer, expectNoApiKeyLeaked, type JobBody, json, PROBLEM, snapshot } from './api-fixture.ts';

let server: ApiTestServer;
let ctx: ApiContext;

beforeAll(async () => {
  server = await ApiTestServer.start();
  ctx = await server.context({ bodyLimitBytes: 16 * 1024 });
});

afterAll(async () => {
  await ctx?.close();
  await server?.stop();
});

type ProblemBody = { type: string; title: string; status: number; detail: string; instance: string; requestId: string; errors: { path: string; message: string }[] };

async function expectProblem(response: Response, status: number, path?: string): Promise<ProblemBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get('Content-Type')).toBe(PROBLEM);
  const body = (await response.json()) as ProblemBody;
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^urn:sluice:problem:[a-z-]+$/);
  expect(body.instance).toBe('/v1/jobs');
  expect(body.requestId).toBe(response.headers.get('X-Request-Id'));
  if (path !== undefined) expect(body.errors.map((error) => error.path)).toContain(path);
  return body;
}

/** A body streamed in chunks (Transfer-Encoding: chunked), so the server cannot judge it by a declared length. */
function chunked(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 1_024) controller.enqueue(bytes.subarray(at, at + 1_024));
      controller.close();
    },
  });
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, duplex: 'half' } as RequestInit;
}

describe('POST /v1/jobs refuses bad input and changes nothing', () => {
  const cases: { name: string; init: () => RequestInit; key?: 'reader' | 'none' | 'wrong'; status: number; path?: string; type?: string }[] = [
    { name: 'malformed JSON', init: () => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"pipeline": "sales",' }), status: 400, type: 'malformed-json' },
    { name: 'an empty body', init: () => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '' }), status: 400, type: 'malformed-json' },
    { name: 'a body that is not JSON (text/plain)', init: () => ({ method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'pipeline=sales' }), status: 415, type: 'unsupported-media-type' },
    { name: 'a form body', init: () => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'pipeline=sales' }), status: 415 },
    { name: 'an unknown pipeline', init: () => json({ pipeline: 'nope' }), status: 422, path: 'pipeline', type: 'unknown-pipeline' },
    { name: 'a pipeline name of the wrong shape', init: () => json({ pipeline: 'Sales Daily' }), status: 422, path: 'pipeline', type: 'validation-failed' },
    { name: 'a missing pipeline', init: () => json({}), status: 422, path: 'pipeline' },
    { name: 'priority of the wrong type', init: () => json({ pipeline: 'sales', priority: 'high' }), status: 422, path: 'priority', type: 'validation-failed' },
    { name: 'priority out of range', init: () => json({ pipeline: 'sales', priority: 0 }), status: 422, path: 'priority' },
    { name: 'an unknown field', init: () => json({ pipeline: 'sales', colour: 'red' }), status: 422, path: 'colour' },
    { name: 'a parameter of the wrong type', init: () => json({ pipeline: 'sales', parameters: { day: 5 } }), status: 422, path: 'parameters.day', type: 'invalid-parameters' },
    { name: 'an undeclared parameter', init: () => json({ pipeline: 'sales', parameters: { region: 'eu' } }), status: 422, path: 'parameters.region' },
    { name: 'a parameter value of an unsupported type', init: () => json({ pipeline: 'sales', parameters: { day: { y: 2024 } } }), status: 422, path: 'parameters.day' },
    { name: 'inputs of the wrong type', init: () => json({ pipeline: 'sales', inputs: 'sales/' }), status: 422, path: 'inputs' },
    { name: 'an input outside the landing roots', init: () => json({ pipeline: 'sales', inputs: ['sales', '/etc/passwd'] }), status: 422, path: 'inputs.1', type: 'input-outside-roots' },
    { name: 'an input escaping with ..', init: () => json({ pipeline: 'sales', inputs: ['../../etc'] }), status: 422, path: 'inputs.0', type: 'input-outside-roots' },
    { name: 'a label name of the wrong shape', init: () => json({ pipeline: 'sales', labels: { 'Bad Label': 'x' } }), status: 422, path: 'labels.Bad Label' },
    { name: 'no inputs at all (the pipeline has no default)', init: () => json({ pipeline: 'returns' }), status: 422, path: 'inputs', type: 'no-inputs' },
    { name: 'an invalid Idempotency-Key', init: () => json({ pipeline: 'sales' }, { 'Idempotency-Key': 'has spaces in it' }), status: 400, path: 'Idempotency-Key' },
    { name: 'an oversized body', init: () => json({ pipeline: 'sales', labels: { note: 'x'.repeat(256) }, inputs: Array.from({ length: 200 }, () => 'sales/' + 'y'.repeat(100)) }), status: 413, type: 'content-too-large' },
    { name: 'an oversized body sent in chunks, without a Content-Length', init: () => chunked(JSON.stringify({ pipeline: 'sales', inputs: Array.from({ length: 400 }, () => 'sales/' + 'y'.repeat(100)) })), status: 413, type: 'content-too-large' },
    { name: 'no API key', init: () => json({ pipeline: 'sales' }), key: 'none', status: 401, type: 'unauthorized' },
    { name: 'a wrong API key', init: () => json({ pipeline: 'sales' }), key: 'wrong', status: 401, type: 'unauthorized' },
    { name: 'a key without jobs:write', init: () => json({ pipeline: 'sales' }), key: 'reader', status: 403, type: 'forbidden' },
  ];

  for (const testCase of cases) {
    it(`answers ${testCase.status} for ${testCase.name}`, async () => {
      const before = await snapshot(ctx);
      const key = testCase.key === 'none' ? null : testCase.key === 'wrong' ? 'sk_not-a-real-key-at-all' : testCase.key === 'reader' ? ctx.keys.reader : ctx.keys.writer;
      const response = await ctx.call('/v1/jobs', { ...testCase.init(), key });
      const body = await expectProblem(response, testCase.status, testCase.path);
      if (testCase.type) expect(body.type).toBe(`urn:sluice:problem:${testCase.type}`);
      if (testCase.status === 401) expect(response.headers.get('WWW-Authenticate')).toBe('Bearer realm="sluice"');
      expect(await snapshot(ctx)).toEqual(before);
      expect(before.jobs).toBe(0);
    });
  }

  it('reports every invalid field at once', async () => {
    const response = await ctx.call('/v1/jobs', { ...json({ pipeline: 'sales', priority: 'high', colour: 'red', labels: 7 }), key: ctx.keys.writer });
    const body = await expectProblem(response, 422);
    expect(body.errors.map((error) => error.path).sort()).toEqual(['colour', 'labels', 'priority']);
    expect((await snapshot(ctx)).jobs).toBe(0);
  });
});

const raw = (body: string): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

describe('POST /v1/jobs refuses inputs and labels that could be misread, and reserved keys', () => {
  const cases: { name: string; init: () => RequestInit; paths: string[] }[] = [
    // The file exists under the root (beforeAll): only its name is the problem, as Spark would expand the braces.
    { name: 'an input Spark would glob-expand out of the root', init: () => json({ pipeline: 'sales', inputs: ['sales', '{x,../outside/y}.parquet'] }), paths: ['inputs.1'] },
    { name: 'a file or folder Spark would skip as hidden (its name starts with _ or .)', init: () => json({ pipeline: 'sales', inputs: ['sales/_late.parquet', 'sales/.resent.parquet', 's3://landing/harp/_x.parquet', 'sales/_staging/', 'sales/ok.parquet'] }), paths: ['inputs.0', 'inputs.1', 'inputs.2', 'inputs.3'] },
    { name: 'the other glob characters, also %-encoded in a file:// URI', init: () => json({ pipeline: 'sales', inputs: ['a[12].parquet', 'sales/*.parquet', 'a?.parquet', 'a\\b.parquet', 'file:///x/%7Ba,b%7D.parquet'] }), paths: ['inputs.0', 'inputs.1', 'inputs.2', 'inputs.3', 'inputs.4'] },
    { name: 'a NUL and a newline in input paths', init: () => raw('{"pipeline":"sales","inputs":["sales","sales/a\\u0000.parquet","sales/b\\n.parquet"]}'), paths: ['inputs.1', 'inputs.2'] },
    { name: 'control characters in a label value', init: () => raw('{"pipeline":"sales","labels":{"team":"retail\\u0000","note":"two\\r\\nlines"}}'), paths: ['labels.team', 'labels.note'] },
    { name: 'a control character in a label name', init: () => raw('{"pipeline":"sales","labels":{"te\\u0001am":"retail"}}'), paths: ['labels.te\u0001am'] },
    // Raw bodies: JSON.stringify of an object literal would turn "__proto__" into a prototype, not a key.
    { name: '"__proto__" as a parameter (zod alone drops it silently)', init: () => raw('{"pipeline":"sales","parameters":{"__proto__":"2024-06-02"}}'), paths: ['parameters.__proto__'] },
    { name: '"constructor" and "prototype" as parameters', init: () => raw('{"pipeline":"sales","parameters":{"constructor":"x","prototype":"y"}}'), paths: ['parameters.constructor', 'parameters.prototype'] },
    { name: '"__proto__", "constructor" and "prototype" as labels', init: () => raw('{"pipeline":"sales","labels":{"__proto__":"x","constructor":"y","prototype":"z"}}'), paths: ['labels.__proto__', 'labels.constructor', 'labels.prototype'] },
  ];

  beforeAll(async () => {
    const named = join(ctx.landing, '{x,../outside/y}.parquet');
    await mkdir(dirname(named), { recursive: true });
    await writeFile(named, 'inside the root, oddly named');
    await mkdir(join(dirname(ctx.landing), 'outside'), { recursive: true });
    await writeFile(join(dirname(ctx.landing), 'outside', 'y.parquet'), 'outside the root');
  });

  for (const testCase of cases) {
    it(`answers 422 with the field paths for ${testCase.name}, queueing nothing`, async () => {
      const before = await snapshot(ctx);
      const response = await ctx.call('/v1/jobs', { ...testCase.init(), key: ctx.keys.writer });
      const body = await expectProblem(response, 422);
      expect(body.type).toBe('urn:sluice:problem:validation-failed');
      expect(body.errors.map((error) => error.path).sort()).toEqual([...testCase.paths].sort());
      expect(await snapshot(ctx)).toEqual(before);
    });
  }

  it('refuses more than 10000 inputs with a 422 saying the cap, at the default body limit', async () => {
    const roomy = await server.context({ bodyLimitBytes: 1_000_000 }); // SLUICE_BODY_LIMIT's default
    try {
      const many = Array.from({ length: 10_001 }, (_, index) => `sales/p${index}.parquet`);
      const response = await roomy.call('/v1/jobs', { ...json({ pipeline: 'sales', inputs: many }), key: roomy.keys.writer });
      const body = (await response.json()) as ProblemBody;
      expect(response.status).toBe(422);
      expect(body.errors).toEqual([{ path: 'inputs', message: expect.stringContaining('at most 10000 inputs per job') }]);
      expect((await snapshot(roomy)).jobs).toBe(0);
      const atCap = await roomy.call('/v1/jobs', { ...json({ pipeline: 'sales', inputs: many.slice(0, 10_000) }), key: roomy.keys.writer });
      expect(atCap.status).toBe(201);
      expect(((await atCap.json()) as JobBody).inputs).toHaveLength(10_000);
    } finally {
      await roomy.close();
    }
  });
});

describe('POST /v1/jobs accepts a job', () => {
  it('creates, queues in BullMQ, and answers 201 with a Location', async () => {
    const response = await ctx.call('/v1/jobs', { ...json({ pipeline: 'sales', inputs: ['sales'], labels: { team: 'retail' } }, { 'X-Request-Id': 'req-submit-1' }), key: ctx.keys.writer });
    expect(response.status).toBe(201);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(response.headers.get('X-Request-Id')).toBe('req-submit-1');
    const job = (await response.json()) as JobBody;
    expect(response.headers.get('Location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({ pipeline: 'sales', state: 'queued', attempt: 1, requestId: 'req-submit-1', labels: { team: 'retail' }, parameters: { day: '2024-06-01' } });
    expect(job.inputs).toEqual([`${ctx.landing}/sales`]);
    expect(await ctx.queue.has(job.id)).toBe(true);

    const got = await ctx.call(`/v1/jobs/${job.id}`, { key: ctx.keys.reader });
    expect(got.status).toBe(200);
    const shown = (await got.json()) as JobBody;
    expect(shown.stage).toBe('queue');
    expect(shown.id).toBe(job.id);
    expect(shown.history).toEqual([expect.objectContaining({ state: 'queued', attempt: 1, reason: 'submitted' })]);
    expect(ctx.logLines.some((line) => line.includes('"requestId":"req-submit-1"') && line.includes('"msg":"job submitted"'))).toBe(true);
  });

  it('reads a body sent in chunks, without a Content-Length, as it reads any other', async () => {
    const response = await ctx.call('/v1/jobs', { ...chunked(JSON.stringify({ pipeline: 'sales', inputs: ['sales'] })), key: ctx.keys.writer });
    expect(response.status).toBe(201);
    const job = (await response.json()) as JobBody;
    expect(job.inputs).toEqual([`${ctx.landing}/sales`]);
    expect(await ctx.queue.has(job.id)).toBe(true);
  });

  it('folds an input named twice (in any spelling) into one', async () => {
    const response = await ctx.call('/v1/jobs', { ...json({ pipeline: 'sales', inputs: ['sales', './sales', 'sales/', `${ctx.landing}/sales/part-0.parquet`, 'sales/part-0.parquet'] }), key: ctx.keys.writer });
    expect(response.status).toBe(201);
    expect(((await response.json()) as JobBody).inputs).toEqual([`${ctx.landing}/sales`, `${ctx.landing}/sales/part-0.parquet`]);
  });

  it('replays the same Idempotency-Key and body as 200 with the same job, and refuses another body with 409', async () => {
    const before = await snapshot(ctx);
    const request = () => ({ ...json({ pipeline: 'sales', inputs: ['sales'], priority: 5 }, { 'Idempotency-Key': 'sales-2024-06-01' }), key: ctx.keys.writer });
    const first = await ctx.call('/v1/jobs', request());
    expect(first.status).toBe(201);
    const created = (await first.json()) as JobBody;
    const second = await ctx.call('/v1/jobs', request());
    expect(second.status).toBe(200);
    const replayed = (await second.json()) as JobBody;
    expect(replayed.id).toBe(created.id);
    expect(second.headers.get('Location')).toBe(`/v1/jobs/${created.id}`);

    const conflict = await ctx.call('/v1/jobs', { ...json({ pipeline: 'sales', inputs: ['sales'], priority: 6 }, { 'Idempotency-Key': 'sales-2024-06-01' }), key: ctx.keys.writer });
    const problem = await expectProblem(conflict, 409);
    expect(problem.type).toBe('urn:sluice:problem:idempotency-key-reused');
    const after = await snapshot(ctx);
    expect(after.jobs).toBe(before.jobs + 1);
    expect(after.queued).toBe(before.queued + 1);
    const page = (await (await ctx.call('/v1/jobs?limit=200')).json()) as { items: JobBody[] };
    expect(page.items.filter((job) => job.idempotencyKey === 'sales-2024-06-01')).toHaveLength(1);
  });

  it('makes one job and leaves one queued step when submits with the same key race each other', async () => {
    const before = await snapshot(ctx);
    const request = () => ({ ...json({ pipeline: 'sales', inputs: ['sales'] }, { 'Idempotency-Key': 'raced-key' }), key: ctx.keys.writer });
    const answers = await Promise.all(Array.from({ length: 8 }, () => ctx.call('/v1/jobs', request())));
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as JobBody[];
    expect(new Set(bodies.map((body) => body.id)).size).toBe(1);
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    const after = await snapshot(ctx);
    expect(after.jobs).toBe(before.jobs + 1);
    // The steps queued for the submits that lost the race were taken back.
    expect(after.waiting).toBe(before.waiting + 1);
    expect(await ctx.queue.has(bodies[0]!.id)).toBe(true);
  });

  it('keeps Idempotency-Keys of different API keys apart', async () => {
    const body = { pipeline: 'sales', inputs: ['sales'] };
    const mine = await ctx.call('/v1/jobs', { ...json(body, { 'Idempotency-Key': 'shared-key' }), key: ctx.keys.writer });
    const theirs = await ctx.call('/v1/jobs', { ...json({ ...body, priority: 3 }, { 'Idempotency-Key': 'shared-key' }), key: ctx.keys.admin });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(((await theirs.json()) as JobBody).id).not.toBe(((await mine.json()) as JobBody).id);
  });

  it('answers 404 problem for an unknown job and 422 for a malformed id', async () => {
    const missing = await ctx.call('/v1/jobs/j0000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Type')).toBe(PROBLEM);
    const malformed = await ctx.call('/v1/jobs/not%20an%20id');
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as ProblemBody).errors[0]?.path).toBe('id');
  });
});

describe('GET /v1/jobs', () => {
  let listing: ApiContext;
  const created: JobBody[] = [];

  beforeAll(async () => {
    listing = await server.context();
    for (let i = 0; i < 7; i += 1) {
      const pipeline = i % 2 === 0 ? 'sales' : 'returns';
      const response = await listing.call('/v1/jobs', json({ pipeline, inputs: ['sales'] }));
      expect(response.status).toBe(201);
      created.push((await response.json()) as JobBody);
      // Ids sort by creation time at millisecond grain: keep them apart.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  });

  afterAll(async () => {
    await listing?.close();
  });

  it('pages through 7 jobs 3 at a time, newest first, with no duplicates and no gaps', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await listing.call(`/v1/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { key: listing.keys.reader });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: JobBody[]; nextCursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(created.map((job) => job.id).reverse());
  });

  it('gives no cursor with the last page, even when it is full', async () => {
    const page = (await (await listing.call('/v1/jobs?limit=7', { key: listing.keys.reader })).json()) as { items: JobBody[]; nextCursor?: string };
    expect(page.items).toHaveLength(7);
    expect(page.nextCursor).toBeUndefined();
  });

  it('filters by pipeline, by state, and by both', async () => {
    const ids = async (query: string) => ((await (await listing.call(`/v1/jobs?${query}`)).json()) as { items: JobBody[] }).items.map((job) => job.id);
    const sales = created.filter((job) => job.pipeline === 'sales').map((job) => job.id).reverse();
    const returns = created.filter((job) => job.pipeline === 'returns').map((job) => job.id).reverse();
    expect(await ids('pipeline=sales')).toEqual(sales);
    expect(await ids('pipeline=returns&state=queued')).toEqual(returns);
    expect(await ids('state=queued')).toHaveLength(7);
    expect(await ids('state=cancelled')).toEqual([]);
    expect(await ids('pipeline=returns&state=queued&limit=2')).toEqual(returns.slice(0, 2));
  });

  it('refuses a bad filter or limit with the query field path', async () => {
    for (const [query, path] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=ten', 'limit'], ['state=done', 'state'], ['pipeline=Bad!', 'pipeline'], ['cursor=a%20b', 'cursor']] as const) {
      const response = await listing.call(`/v1/jobs?${query}`);
      expect(response.status, query).toBe(422);
      expect(response.headers.get('Content-Type')).toBe(PROBLEM);
      expect(((await response.json()) as ProblemBody).errors.map((error) => error.path), query).toEqual([path]);
    }
  });
});

describe('secrets', () => {
  it('never puts an API key in a response or a log line', () => {
    expectNoApiKeyLeaked(ctx, { logLines: 20 });
  });
});
