// A dashboard session stands for the key it was opened with, not for whatever key holds that
// name now: against a real Sluice (API role) over real HTTP and a real Redis, a session outlives
// a restart with the same keys, but not its key being replaced under the same name (a rotation),
// and a session stored before sessions named their key's fingerprint counts as ended.
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { formatApiKeyEntry, newApiKey } from '../../broker/api/api-keys.ts';
import { SESSION_COOKIE } from '../../broker/ui/browser-session.ts';
import { apiRoleFixture } from '../harness/api-role-fixture.ts';

const fixture = apiRoleFixture();

/** Starts (or restarts) the API with these keys; returns its URL. */
const api = (...keys: string[]): Promise<string> => fixture.start({ SLUICE_API_KEYS: keys.join(',') });

async function signIn(url: string, apiKey: string): Promise<string> {
  const response = await fetch(`${url}/ui/session`, { method: 'POST', headers: { Origin: url, 'Content-Type': 'application/json' }, body: JSON.stringify({ apiKey }) });
  expect(response.status).toBe(201);
  const id = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(response.headers.get('set-cookie') ?? '')?.[1];
  expect(id).toBeDefined();
  return `${SESSION_COOKIE}=${id}`;
}

const read = (url: string, cookie: string) => fetch(`${url}/v1/jobs`, { headers: { Cookie: cookie } });

describe('a dashboard session', () => {
  it('outlives a restart with the same key, but not the key replaced under the same name', async () => {
    const first = newApiKey();
    let url = await api(formatApiKeyEntry('etl', ['jobs:read'], first));
    const cookie = await signIn(url, first);
    expect((await read(url, cookie)).status).toBe(200);

    url = await api(formatApiKeyEntry('etl', ['jobs:read'], first));
    expect((await read(url, cookie)).status).toBe(200);

    // Rotated: the name is the same, the key (and so its configured hash) is not.
    const second = newApiKey();
    url = await api(formatApiKeyEntry('etl', ['jobs:read'], second));
    const refused = await read(url, cookie);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toBe('the dashboard session has expired or was ended: sign in again');
    expect((await fetch(`${url}/ui/session`, { headers: { Cookie: cookie } })).status).toBe(401);
    // The new key opens a session of its own.
    expect((await read(url, await signIn(url, second))).status).toBe(200);
  });

  it('stores a fingerprint of the key, never the key or its configured hash', async () => {
    const key = newApiKey();
    const entry = formatApiKeyEntry('etl', ['jobs:read'], key);
    const url = await api(entry);
    await signIn(url, key);
    const redis = new Redis(fixture.env.redis.url);
    try {
      const [stored] = await Promise.all((await redis.keys('sluice:ui:session:*')).map((name) => redis.get(name)));
      const session = JSON.parse(stored!) as Record<string, string>;
      expect(Object.keys(session).sort()).toEqual(['createdAt', 'keyFingerprint', 'keyName']);
      expect(session.keyName).toBe('etl');
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(entry.split(':').pop());
    } finally {
      redis.disconnect();
    }
  });

  it('stored before sessions held the fingerprint counts as ended', async () => {
    const key = newApiKey();
    const url = await api(formatApiKeyEntry('etl', ['jobs:read'], key));
    // The record as sign-in wrote it before: the key's name only.
    const id = randomBytes(32).toString('base64url');
    const redis = new Redis(fixture.env.redis.url);
    try {
      const name = `sluice:ui:session:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
      await redis.set(name, JSON.stringify({ keyName: 'etl', createdAt: new Date().toISOString() }), 'PX', 60_000);
      expect((await read(url, `${SESSION_COOKIE}=${id}`)).status).toBe(401);
    } finally {
      redis.disconnect();
    }
  });
});
