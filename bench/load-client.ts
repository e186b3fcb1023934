// The HTTP load generator of the broker benchmark, run as its own process (as real clients
// are). Submits COUNT jobs, either as fast as LANES keep-alive connections allow or paced at
// RATE per second, and prints one JSON line: the submit time (ms since the epoch,
// sub-millisecond) of each job id, and the CPU time this client spent from its first request
// to its last answer (its start-up, loading TypeScript, is left out).
// usage: load-client.ts URL API_KEY COUNT LANES RATE|0
//
// It speaks node:http, not fetch: on this 2-core machine the client shares the cores with the
// server, and Node 20's fetch cost the client 0.69–0.74 ms of CPU per request against 0.12 ms
// through node:http (a bare server answered 1,400–2,000 requests/s through fetch, 7,700–9,500
// through node:http), so a fetch client would be measured instead of Sluice. The body and
// answer keep the types generated from the API's contract.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { JobView, SubmitRequest } from '../broker/cli/sluice-client.ts';

const [url, apiKey, countText, lanesText, rateText] = process.argv.slice(2);
const count = Number(countText);
const lanes = Number(lanesText);
const rate = Number(rateText);
const target = new URL('/v1/jobs', url);
// Paced submits may overlap a slow answer: allow more sockets than lanes rather than queue.
const agent = new Agent({ keepAlive: true, maxSockets: Math.max(lanes, 64) });
const body = JSON.stringify({ pipeline: 'bench', inputs: ['bench/input.parquet'] } satisfies SubmitRequest);
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${apiKey}` };
const now = () => performance.timeOrigin + performance.now();
const sentAt: Record<string, number> = {};
const cpuAtStart = process.cpuUsage();

function post(): Promise<JobView> {
  return new Promise((resolve, reject) => {
    const sent = request(target, { method: 'POST', agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => (response.statusCode === 201 ? resolve(JSON.parse(text) as JobView) : reject(new Error(`POST /v1/jobs answered ${response.statusCode}: ${text.slice(0, 300)}`))));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

async function submit(): Promise<void> {
  const at = now();
  const job = await post();
  sentAt[job.id] = at;
}

if (rate > 0) {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const wait = start + (i * 1_000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(submit());
  }
  await Promise.all(pending);
} else {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        next += 1;
        await submit();
      }
    }),
  );
}
agent.destroy();
const cpu = process.cpuUsage(cpuAtStart);
process.stdout.write(`${JSON.stringify({ sentAt, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
