// The operator side of the API: pipelines, queues, health, the OpenAPI document and docs
// page, metrics, the queue board's browser auth, request ids, and that keys never leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from '../../broker/core/state-machine.ts';
import { formatApiKeyEntry, hashApiKey, parseApiKeys } from '../../broker/api/api-keys.ts';
import { queueBoard } from '../../broker/queue/queue-board.ts';
import { type ApiContext, ApiTestServer, expectNoApiKeyLeaked, type JobBody, json, PROBLEM, snapshot } from './api-fixture.ts';

let server: ApiTestServer;
let ctx: ApiContext;

beforeAll(async () => {
  server = await ApiTestServer.start();
  ctx = await server.context({ board: true });
});

afterAll(async () => {
  await ctx?.close();
  await server?.stop();
});

describe('API keys', () => {
  it('formats and parses entries whose scopes hold colons, and refuses bad ones', () => {
    const entry = formatApiKeyEntry('airflow', ['jobs:read', 'jobs:write'], 'a-key-of-some-length');
    expect(entry).toBe(`airflow:jobs:read+jobs:write:${hashApiKey('a-key-of-some-length')}`);
    const [parsed] = parseApiKeys([entry]);
    expect(parsed?.name).toBe('airflow');
    expect([...(parsed?.scopes ?? [])]).toEqual(['jobs:read', 'jobs:write']);
    expect(() => formatApiKeyEntry('x', ['jobs:delete'], 'a-key-of-some-length')).toThrow(/jobs:delete/);
    expect(() => parseApiKeys(['ops:admin:not-a-hash'])).toThrow(/entry 1/);
    expect(() => parseApiKeys([`ops:root:${hashApiKey('k')}`])).toThrow(/unknown scope "root"/);
  });

  it('needs a valid key with the right scope on every /v1 route', async () => {
    const routes: [string, string, 'jobs:read' | 'jobs:write' | 'admin'][] = [
      ['GET', '/v1/jobs', 'jobs:read'],
      ['GET', '/v1/jobs/j0000000000000000', 'jobs:read'],
      ['GET', '/v1/jobs/j0000000000000000/logs', 'jobs:read'],
      ['POST', '/v1/jobs/j0000000000000000/cancel', 'jobs:write'],
      ['POST', '/v1/jobs/j0000000000000000/retry', 'jobs:write'],
      ['GET', '/v1/pipelines', 'jobs:read'],
      ['GET', '/v1/pipelines/sales', 'jobs:read'],
      ['GET', '/v1/queues', 'jobs:read'],
      ['GET', '/v1/stats/runs', 'jobs:read'],
      ['GET', '/v1/watchers', 'jobs:read'],
      ['POST', '/v1/queues/jobs/pause', 'admin'],
      ['POST', '/v1/queues/jobs/resume', 'admin'],
      ['GET', '/metrics', 'admin'],
    ];
    for (const [method, path, scope] of routes) {
      const none = await ctx.call(path, { method, key: null });
      expect(none.status, `${method} ${path} without a key`).toBe(401);
      expect(none.headers.get('Content-Type')).toBe(PROBLEM);
      expect(none.headers.get('WWW-Authenticate')).toBe('Bearer realm="sluice"');
      expect((await ctx.call(path, { method, key: `${ctx.keys.admin}x` })).status, `${method} ${path} with a wrong key`).toBe(401);
      expect((await ctx.call(path, { method, headers: { Authorization: `Basic ${Buffer.from(`u:${ctx.keys.admin}`).toString('base64')}` } })).status, `${method} ${path} with Basic`).toBe(401);
      const weak = scope === 'jobs:read' ? undefined : scope === 'jobs:write' ? ctx.keys.reader : ctx.keys.writer;
      if (weak) {
        const refused = await ctx.call(path, { method, key: weak });
        expect(refused.status, `${method} ${path} without ${scope}`).toBe(403);
        expect(((await refused.json()) as { detail: string }).detail).toContain(scope);
      }
      // admin implies every scope: past auth, the route answers for itself (200, 404, ...).
      expect([401, 403]).not.toContain((await ctx.call(path, { method, key: ctx.keys.admin })).status);
    }
  });
});

describe('pipelines', () => {
  it('lists and gets the validated pipelines', async () => {
    const list = await ctx.call('/v1/pipelines', { key: ctx.keys.reader });
    expect(list.status).toBe(200);
    const { items } = (await list.json()) as { items: { name: string }[] };
    expect(items.map((pipeline) => pipeline.name)).toEqual(['returns', 'sales']);

    const one = await ctx.call('/v1/pipelines/sales', { key: ctx.keys.reader });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      name: 'sales',
      outputs: { lake: { table: 'sales_daily' } },
      transform: { group_by: ['store'] },
      policy: { max_attempts: 3, timeouts: { launching: 120_000 } },
    });

    const missing = await ctx.call('/v1/pipelines/nope', { key: ctx.keys.reader });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Type')).toBe(PROBLEM);
    const bad = await ctx.call('/v1/pipelines/Not_A_Name', { key: ctx.keys.reader });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('name');
  });
});

describe('queues', () => {
  it('shows counts, and pauses and resumes with an admin key only', async () => {
    const submitted = await ctx.call('/v1/jobs', json({ pipeline: 'sales', inputs: ['sales'] }));
    expect(submitted.status).toBe(201);
    const view = async () => ((await (await ctx.call('/v1/queues', { key: ctx.keys.reader })).json()) as { items: { name: string; paused: boolean; counts: Record<string, number> }[] }).items;
    const [before] = await view();
    expect(before?.name).toBe('jobs');
    expect(before?.paused).toBe(false);
    expect((before?.counts.waiting ?? 0) + (before?.counts.prioritized ?? 0)).toBeGreaterThanOrEqual(1);

    expect((await ctx.call('/v1/queues/jobs/pause', { method: 'POST', key: ctx.keys.writer })).status).toBe(403);
    expect((await view())[0]?.paused).toBe(false);

    const paused = await ctx.call('/v1/queues/jobs/pause', { method: 'POST', key: ctx.keys.admin });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as { paused: boolean }).paused).toBe(true);
    expect((await view())[0]?.paused).toBe(true);

    const resumed = await ctx.call('/v1/queues/jobs/resume', { method: 'POST', key: ctx.keys.admin });
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as { paused: boolean }).paused).toBe(false);

    const other = await ctx.call('/v1/queues/other/pause', { method: 'POST', key: ctx.keys.admin });
    expect(other.status).toBe(404);
    expect(other.headers.get('Content-Type')).toBe(PROBLEM);
    expect((await view())[0]?.paused).toBe(false);
  });

  it('serves the queue board to an admin key, over Basic auth for browsers', async () => {
    const challenged = await ctx.call('/admin/queues', { key: null });
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get('WWW-Authenticate')).toBe('Basic realm="sluice"');
    expect((await ctx.call('/admin/queues/api/queues', { key: null })).status).toBe(401);
    const basic = (key: string) => ({ headers: { Authorization: `Basic ${Buffer.from(`anyone:${key}`).toString('base64')}` } });
    expect((await ctx.call('/admin/queues', basic(ctx.keys.writer))).status).toBe(403);
    expect((await ctx.call('/admin/queues', basic('wrong-key-entirely'))).status).toBe(401);
    const page = await ctx.call('/admin/queues', basic(ctx.keys.admin));
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toMatch(/text\/html/);
    const api = await ctx.call('/admin/queues/api/queues', { key: ctx.keys.admin });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('jobs');
  });
});

describe('the queue board is read-only', () => {
  const basic = (key: string) => `Basic ${Buffer.from(`anyone:${key}`).toString('base64')}`;
  // bull-board's own write routes: add a job, retry, promote, clean, pause, and the rest.
  const writes: { method: string; path: string; body?: string; type?: string }[] = [
    { method: 'POST', path: '/admin/queues/api/queues/jobs/add', body: JSON.stringify({ name: 'step', data: { jobId: 'j-board' } }), type: 'application/json' },
    // What a foreign page's <form> would send with the browser's remembered Basic credentials.
    { method: 'POST', path: '/admin/queues/api/queues/jobs/add', body: 'name=step&data=%7B%7D', type: 'application/x-www-form-urlencoded' },
    { method: 'PUT', path: '/admin/queues/api/queues/jobs/retry/failed' },
    { method: 'PUT', path: '/admin/queues/api/queues/jobs/clean/completed' },
    { method: 'PUT', path: '/admin/queues/api/queues/jobs/pause' },
    { method: 'PUT', path: '/admin/queues/api/queues/pause' },
    { method: 'PUT', path: '/admin/queues/api/queues/jobs/empty' },
    { method: 'PATCH', path: '/admin/queues/api/queues/jobs/some-job/update-data', body: '{}', type: 'application/json' },
    { method: 'DELETE', path: '/admin/queues/api/queues/jobs/some-job' },
  ];

  it('refuses every state-changing request, even with the admin key and from a foreign Origin, and changes nothing', async () => {
    const submitted = await ctx.call('/v1/jobs', json({ pipeline: 'sales', inputs: ['sales'] }));
    expect(submitted.status).toBe(201);
    const before = await snapshot(ctx);
    for (const write of writes) {
      const response = await ctx.call(write.path, {
        method: write.method,
        key: null,
        headers: { Authorization: basic(ctx.keys.admin), Origin: 'https://evil.example', ...(write.type ? { 'Content-Type': write.type } : {}) },
        ...(write.body !== undefined ? { body: write.body } : {}),
      });
      expect(response.status, `${write.method} ${write.path}`).toBe(405);
      expect(response.headers.get('Allow')).toBe('GET, HEAD');
      expect(response.headers.get('Content-Type')).toBe(PROBLEM);
    }
    expect(await snapshot(ctx)).toEqual(before);
    expect((await ctx.queue.counts()).paused).toBe(false);
    expect(await ctx.queue.has('j-board')).toBe(false);
    // Reading still works.
    expect((await ctx.call('/admin/queues/api/queues', { key: ctx.keys.admin })).status).toBe(200);
  });

  it('is read-only in bull-board itself too, should it ever be mounted without the API in front', async () => {
    const board = queueBoard(ctx.queue.queue)('/admin/queues');
    const add = await board.request('/admin/queues/api/queues/jobs/add', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'step', data: {} }) });
    expect(add.status).toBe(405);
    const listing = (await (await board.request('/admin/queues/api/queues')).json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(listing.queues.map((queue) => [queue.name, queue.readOnlyMode])).toEqual([['jobs', true]]);
    expect(await ctx.queue.has('j-board')).toBe(false);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz without a key', async () => {
    const health = await ctx.call('/healthz', { key: null });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await ctx.call('/readyz', { key: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });

  it('answers 503 with the checks when not ready, and when the check throws', async () => {
    const down = await server.context({ ready: async () => ({ ok: false, checks: { redis: 'unreachable' } }) });
    const failing = await server.context({
      ready: async () => {
        throw new Error('boom');
      },
    });
    try {
      const response = await down.call('/readyz', { key: null });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not-ready', checks: { redis: 'unreachable' } });
      const thrown = await failing.call('/readyz', { key: null });
      expect(thrown.status).toBe(503);
      expect(((await thrown.json()) as { status: string }).status).toBe('not-ready');
    } finally {
      await down.close();
      await failing.close();
    }
  });

  it('answers 503 within 2 s when the check never returns', async () => {
    const hung = await server.context({ ready: () => new Promise(() => undefined) });
    try {
      const started = performance.now();
      const response = await hung.call('/readyz', { key: null });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not-ready', checks: { readiness: expect.stringContaining('no answer within') } });
    } finally {
      await hung.close();
    }
  });
});

describe('OpenAPI and docs', () => {
  it('serves an OpenAPI 3.1 document with bearer security on protected routes', async () => {
    const response = await ctx.call('/openapi.json', { key: null });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; operationId?: string; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Sluice API', version: '1' });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v1/jobs']?.post?.security).toEqual([{ bearerAuth: ['jobs:write'] }]);
    expect(doc.paths['/v1/jobs']?.get?.security).toEqual([{ bearerAuth: ['jobs:read'] }]);
    expect(doc.paths['/v1/queues/{name}/pause']?.post?.security).toEqual([{ bearerAuth: ['admin'] }]);
    expect(doc.paths['/healthz']?.get?.security).toBeUndefined();
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz', '/metrics', '/readyz', '/v1/events', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/events', '/v1/jobs/{id}/logs', '/v1/jobs/{id}/notifications', '/v1/jobs/{id}/retry', '/v1/landings',
        '/v1/landings/{fingerprint}/readmit', '/v1/notifications', '/v1/pipelines', '/v1/pipelines/{name}', '/v1/queues', '/v1/queues/{name}/pause', '/v1/queues/{name}/resume', '/v1/stats/runs', '/v1/watchers',
      ].sort(),
    );
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.operationId, `${method} ${path}`).toBeTruthy();
        if (!['/healthz', '/readyz'].includes(path)) expect(operation.security, `${method} ${path}`).toHaveLength(1);
      }
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['JobView', 'SubmitRequest', 'Problem', 'Pipeline', 'JobPage']));
    expect(JSON.stringify(doc.paths['/v1/jobs']?.post?.responses['422'])).toContain('application/problem+json');
  });

  it('serves the Swagger UI page and its assets locally', async () => {
    const page = await ctx.call('/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const init = await ctx.call('/docs/assets/sluice-init.js', { key: null });
    expect(await init.text()).toContain("url: '/openapi.json'");
    const css = await ctx.call('/docs/assets/swagger-ui.css', { key: null });
    expect(css.status).toBe(200);
    expect(css.headers.get('Content-Type')).toMatch(/^text\/css/);
    expect((await css.text()).length).toBeGreaterThan(10_000);
    const bundle = await ctx.call('/docs/assets/swagger-ui-bundle.js', { key: null });
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await ctx.call('/docs/assets/package.json', { key: null })).status).toBe(404);
    expect((await ctx.call('/docs/assets/..%2Fpackage.json', { key: null })).status).toBe(404);
  });
});

describe('metrics', () => {
  it('exposes job, queue, submit and stage metrics to an admin key', async () => {
    const fresh = await server.context();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await fresh.call('/v1/jobs', json({ pipeline: 'sales', inputs: ['sales'] }, { 'Idempotency-Key': `m-${i}` }));
        ids.push(((await response.json()) as JobBody).id);
      }
      expect((await fresh.call('/v1/jobs', json({ pipeline: 'sales', inputs: ['sales'] }, { 'Idempotency-Key': 'm-0' }))).status).toBe(200);
      // One job leaves `queued` as a worker would; the store's listener times the stage.
      await fresh.store.update(ids[0]!, (job) => transition(job, 'launching', new Date(Date.parse(job.createdAt) + 1500), 'test'));

      expect((await fresh.call('/metrics', { key: fresh.keys.reader })).status).toBe(403);
      const response = await fresh.call('/metrics', { key: fresh.keys.admin });
      expect(response.status).toBe(200);
      expect(response.headers.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toMatch(/^sluice_jobs\{state="queued"\} 2$/m);
      expect(text).toMatch(/^sluice_jobs\{state="launching"\} 1$/m);
      expect(text).toMatch(/^sluice_queue_depth\{state="(waiting|prioritized)"\} [1-9]/m);
      expect(text).toMatch(/^sluice_jobs_submitted_total\{pipeline="sales",result="created"\} 3$/m);
      expect(text).toMatch(/^sluice_jobs_submitted_total\{pipeline="sales",result="replayed"\} 1$/m);
      expect(text).toMatch(/^sluice_stage_duration_seconds_count\{stage="queued",pipeline="sales"\} 1$/m);
      expect(text).toMatch(/^sluice_stage_duration_seconds_sum\{stage="queued",pipeline="sales"\} 1\.5$/m);
      expect(text).toContain('process_cpu_user_seconds_total');
    } finally {
      await fresh.close();
    }
  });
});

describe('request ids and errors', () => {
  it('echoes a sane X-Request-Id, replaces an unsafe one, and logs with it', async () => {
    const sane = await ctx.call('/v1/pipelines', { headers: { 'X-Request-Id': 'trace.abc_123-XYZ' } });
    expect(sane.headers.get('X-Request-Id')).toBe('trace.abc_123-XYZ');
    expect(ctx.logLines.some((line) => line.includes('"requestId":"trace.abc_123-XYZ"') && line.includes('"msg":"request"'))).toBe(true);

    for (const unsafe of ['has spaces', 'x'.repeat(129), 'semi;colon', '']) {
      const response = await ctx.call('/v1/pipelines', { headers: { 'X-Request-Id': unsafe } });
      const id = response.headers.get('X-Request-Id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(id).not.toBe(unsafe);
    }
    const problem = await ctx.call('/v1/jobs/j0000000000000000', { headers: { 'X-Request-Id': 'req-404' } });
    expect(problem.status).toBe(404);
    expect(problem.headers.get('X-Request-Id')).toBe('req-404');
    expect(((await problem.json()) as { requestId: string }).requestId).toBe('req-404');
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await ctx.call('/v2/everything', { key: null });
    expect(response.status).toBe(404);
    expect(response.headers.get('Content-Type')).toBe(PROBLEM);
    expect(await response.json()).toMatchObject({ type: 'urn:sluice:problem:not-found', instance: '/v2/everything' });
  });
});

describe('secrets', () => {
  it('never puts an API key in a response or a log line', () => {
    expectNoApiKeyLeaked(ctx, { bodies: 30 });
  });
});
