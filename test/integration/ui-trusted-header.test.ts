// Sign-in by an auth proxy's header (SLUICE_UI_TRUSTED_HEADER) against a real Sluice over real
// HTTP: the header is believed only on connections from the proxy's addresses (here loopback,
// the default), gives the configured scopes, changes nothing cross-origin, never beats a bearer
// key, and bad settings stop start-up naming the setting.
import { describe, expect, it } from 'vitest';
import { startSluice } from '../../broker/sluice.ts';
import { apiRoleFixture } from '../harness/api-role-fixture.ts';

const fixture = apiRoleFixture();

const TRUSTED = {
  SLUICE_UI_TRUSTED_HEADER: 'X-Forwarded-User',
  SLUICE_UI_TRUSTED_USERS: 'etl@example.com=jobs:read+jobs:write',
};

const api = (settings: Record<string, string>): Promise<string> => fixture.start(settings);

const submitBody = JSON.stringify({ pipeline: 'stand-in', inputs: ['none.parquet'] });

describe('an auth proxy in front of the dashboard', () => {
  it('signs in the user it names, with the default read-only scopes or the user\'s own', async () => {
    const url = await api(TRUSTED);
    const me = await fetch(`${url}/ui/session`, { headers: { 'X-Forwarded-User': 'alice@example.com' } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ name: 'proxy:alice@example.com', scopes: ['jobs:read'], proxy: true });
    expect((await fetch(`${url}/v1/jobs`, { headers: { 'X-Forwarded-User': 'alice@example.com' } })).status).toBe(200);

    // Read-only: a submit is refused by scope, and nothing is queued.
    const refused = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'X-Forwarded-User': 'alice@example.com', Origin: url, 'Content-Type': 'application/json' }, body: submitBody });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('"proxy:alice@example.com" lacks the scope "jobs:write"');

    const created = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'X-Forwarded-User': 'etl@example.com', Origin: url, 'Content-Type': 'application/json' }, body: submitBody });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };
    expect((await fixture.sluice.jobs.list({ limit: 10 })).items.map((item) => item.id)).toEqual([job.id]);
  });

  it('refuses a change from another origin with the header, and nothing changes', async () => {
    const url = await api(TRUSTED);
    const before = (await fixture.sluice.jobs.list({ limit: 100 })).items;
    const response = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'X-Forwarded-User': 'etl@example.com', Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: submitBody });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { type: string }).type).toMatch(/cross-origin/);
    expect((await fixture.sluice.jobs.list({ limit: 100 })).items).toEqual(before);
  });

  it('ignores the header from an address that is not the proxy\'s', async () => {
    const url = await api({ ...TRUSTED, SLUICE_UI_TRUSTED_PROXIES: '10.11.12.13' });
    const response = await fetch(`${url}/v1/jobs`, { headers: { 'X-Forwarded-User': 'etl@example.com' } });
    expect(response.status).toBe(401);
    expect((await fetch(`${url}/ui/session`, { headers: { 'X-Forwarded-User': 'etl@example.com' } })).status).toBe(401);
  });

  it('is off by default: the header alone signs nobody in', async () => {
    const url = await api({});
    expect((await fetch(`${url}/v1/jobs`, { headers: { 'X-Forwarded-User': 'etl@example.com' } })).status).toBe(401);
  });

  it('never outranks a bearer key: a wrong key with the header is still a wrong key', async () => {
    const url = await api(TRUSTED);
    const response = await fetch(`${url}/v1/jobs`, { headers: { 'X-Forwarded-User': 'etl@example.com', Authorization: 'Bearer sk_wrong' } });
    expect(response.status).toBe(401);
  });

  it('stops start-up on a bad setting, naming it', async () => {
    await expect(startSluice(fixture.env.config({ ...TRUSTED, SLUICE_UI_TRUSTED_SCOPES: 'jobs:read+everything' }), { api: true, worker: false }, { pipelines: fixture.pipelines })).rejects.toThrow(
      /SLUICE_UI_TRUSTED_SCOPES: unknown scope "everything"/,
    );
  });
});
