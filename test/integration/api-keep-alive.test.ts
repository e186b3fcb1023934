// The API keeps an idle keep-alive connection open longer than the clients in front of it
// keep theirs, so that a client never reuses a connection the API is closing at that moment
// (its POST would fail with ECONNRESET). Checked at the production setting: a connection idle
// for longer than Node's default timeout (5 s) and httpx's (5 s) still carries the next request.
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';

let env: SluiceEnv;
let sluice: RunningSluice;

beforeAll(async () => {
  env = await createSluiceEnv();
  sluice = await startSluice(env.config({ SLUICE_API_PORT: '0' }), { api: true, worker: false });
});

afterAll(async () => {
  await sluice?.close();
  await env?.close();
});

/** A GET /v1/pipelines through `agent`; resolves with its status and the local port of the connection that carried it. */
function get(agent: Agent): Promise<{ status: number; localPort: number }> {
  return new Promise((resolve, reject) => {
    const sent = request(`http://127.0.0.1:${sluice.port}/v1/pipelines`, { agent, headers: { authorization: `Bearer ${env.apiKey}` } }, (response) => {
      const localPort = (response.socket as Socket).localPort!;
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, localPort }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

it('keeps an idle connection open past 5 s, so the next request goes over it', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await get(agent);
    await sleep(6_500);
    const second = await get(agent);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.localPort).toBe(first.localPort);
  } finally {
    agent.destroy();
  }
});
