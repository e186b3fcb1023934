// The HTTP load generator of the broker benchmark, run as its own process (as real clients
// are) so that its CPU does not count against the server. Submits COUNT jobs, either as
// fast as LANES connections allow or paced at RATE per second, and prints one JSON line:
// the submit time (ms since the epoch, sub-millisecond) of each job id.
// usage: load-client.ts URL API_KEY COUNT LANES RATE|0
import { performance } from 'node:perf_hooks';

const [url, apiKey, countText, lanesText, rateText] = process.argv.slice(2);
const count = Number(countText);
const lanes = Number(lanesText);
const rate = Number(rateText);
const body = JSON.stringify({ pipeline: 'bench', inputs: ['bench/input.parquet'] });
const now = () => performance.timeOrigin + performance.now();
const sentAt: Record<string, number> = {};

async function submit(): Promise<void> {
  const at = now();
  const response = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`submit failed: ${response.status} ${text}`);
  sentAt[(JSON.parse(text) as { id: string }).id] = at;
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
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < count) {
      next += 1;
      await submit();
    }
  }));
}
process.stdout.write(`${JSON.stringify(sentAt)}\n`);
