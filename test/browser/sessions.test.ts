// The dashboard's sessions over plain HTTP against a real Sluice and Redis (no browser): what
// sign-in stores and answers, that the cookie stands for its key on /v1 and nothing more, that
// bearer-key clients are untouched by the same-origin rule, and sign-out and Redis outages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../broker/ui/browser-session.ts';
import { waitFor } from '../harness/wait-for.ts';
import { startDashboardStack, type DashboardStack } from './dashboard-stack.ts';

let stack: DashboardStack;

beforeAll(async () => {
  stack = await startDashboardStack();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const own = () => ({ Origin: stack.url });

async function signIn(apiKey: string, headers: Record<string, string> = own()): Promise<Response> {
  return fetch(`${stack.url}/ui/session`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ apiKey }) });
}

function cookieOf(response: Response): string {
  const match = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(response.headers.get('set-cookie') ?? '');
  if (!match?.[1]) throw new Error(`no session cookie in ${response.headers.get('set-cookie')}`);
  return `${SESSION_COOKIE}=${match[1]}`;
}

const sessionKeys = () => stack.redis.keys('sluice:ui:session:*');

describe('sign-in', () => {
  it('stores only a hash of the session id and the key name, expiring after the default 12 hours', async () => {
    const before = await sessionKeys();
    const response = await signIn(stack.keys.writer);
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: 'etl', scopes: ['jobs:read', 'jobs:write'] });
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const id = cookieOf(response).split('=')[1]!;

    const added = (await sessionKeys()).filter((key) => !before.includes(key));
    expect(added).toHaveLength(1);
    expect(added[0]).not.toContain(id);
    const stored = (await stack.redis.get(added[0]!))!;
    expect(JSON.parse(stored)).toMatchObject({ keyName: 'etl' });
    expect(stored).not.toContain(stack.keys.writer);
    const ttl = await stack.redis.pttl(added[0]!);
    expect(ttl).toBeGreaterThan(12 * 3_600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(12 * 3_600_000);
  });

  it.each([
    ['a wrong key', () => signIn('sk_nobody-was-given-this-key'), 401],
    ['an empty body', () => fetch(`${stack.url}/ui/session`, { method: 'POST', headers: { ...own(), 'Content-Type': 'application/json' }, body: '{}' }), 422],
    ['another origin', () => signIn(stack.keys.admin, { Origin: 'http://evil.example' }), 403],
    ['no origin at all', () => signIn(stack.keys.admin, {}), 403],
  ])('with %s is refused and opens no session', async (_what, attempt, status) => {
    const before = await sessionKeys();
    const response = await attempt();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await sessionKeys()).toEqual(before);
  });
});

describe('the cookie on /v1', () => {
  it("carries its key's scopes: reads pass, writes it lacks the scope for are 403", async () => {
    const cookie = cookieOf(await signIn(stack.keys.reader));
    expect((await fetch(`${stack.url}/v1/jobs`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect(await (await fetch(`${stack.url}/ui/session`, { headers: { Cookie: cookie } })).json()).toEqual({ name: 'viewer', scopes: ['jobs:read'] });
    const submit = await fetch(`${stack.url}/v1/jobs`, {
      method: 'POST',
      headers: { Cookie: cookie, ...own(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ pipeline: 'stand-in', inputs: ['none.parquet'] }),
    });
    expect(submit.status).toBe(403);
  });

  it('does not change bearer-key clients: no Origin needed, and the key wins over a cookie', async () => {
    const readerCookie = cookieOf(await signIn(stack.keys.reader));
    const pause = await fetch(`${stack.url}/v1/queues/jobs/pause`, { method: 'POST', headers: { Authorization: `Bearer ${stack.keys.admin}`, Cookie: readerCookie, Origin: 'http://elsewhere.example' } });
    expect(pause.status).toBe(200);
    const resume = await fetch(`${stack.url}/v1/queues/jobs/resume`, { method: 'POST', headers: { Authorization: `Bearer ${stack.keys.admin}` } });
    expect(resume.status).toBe(200);
    expect(((await resume.json()) as { paused: boolean }).paused).toBe(false);
  });
});

describe('sign-out', () => {
  it('from another origin is refused; from the page it ends the session for good', async () => {
    const cookie = cookieOf(await signIn(stack.keys.admin));
    const forged = await fetch(`${stack.url}/ui/session`, { method: 'DELETE', headers: { Cookie: cookie, Origin: 'http://evil.example' } });
    expect(forged.status).toBe(403);
    expect((await fetch(`${stack.url}/v1/jobs`, { headers: { Cookie: cookie } })).status).toBe(200);

    const out = await fetch(`${stack.url}/ui/session`, { method: 'DELETE', headers: { Cookie: cookie, ...own() } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Path=/; Max-Age=0`));
    const after = await fetch(`${stack.url}/v1/jobs`, { headers: { Cookie: cookie } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { detail: string }).detail).toBe('the dashboard session has expired or was ended: sign in again');
  });
});

describe('with Redis away', () => {
  it('sign-in answers 503 at once rather than hanging, and works again when Redis is back', async () => {
    await stack.env.redis.stop();
    try {
      const started = Date.now();
      const response = await signIn(stack.keys.admin);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await stack.env.redis.restart();
    }
    await expect.poll(async () => (await signIn(stack.keys.admin)).status, { timeout: 15_000, interval: 250 }).toBe(201);
    // And the rest of Sluice with it: a job runs to its end (the worker is past its reconnect before the stack closes).
    const id = await stack.submit({ seconds: 0 });
    await waitFor('the job to succeed', async () => ((await stack.api.job(id)).state === 'succeeded' ? true : undefined), 60_000, 250);
  });
});
