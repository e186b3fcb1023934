// The HTTP load generator of the broker benchmark, run as its own process (as real clients
// are) so that its CPU does not count against the server. Submits COUNT jobs, either as
// fast as LANES connections allow or paced at RATE per second, and prints one JSON line:
// the submit time (ms since the epoch, sub-millisecond) of each job id.
// usage: load-client.ts URL API_KEY COUNT LANES RATE|0
// It submits through the generated client, as every client of Sluice does.
import { performance } from 'node:perf_hooks';
import { SluiceClient } from '../broker/cli/sluice-client.ts';

const [url, apiKey, countText, lanesText, rateText] = process.argv.slice(2);
const count = Number(countText);
const lanes = Number(lanesText);
const rate = Number(rateText);
const client = new SluiceClient(url!, apiKey);
const now = () => performance.timeOrigin + performance.now();
const sentAt: Record<string, number> = {};

async function submit(): Promise<void> {
  const at = now();
  const job = await client.submit({ pipeline: 'bench', inputs: ['bench/input.parquet'] });
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
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < count) {
      next += 1;
      await submit();
    }
  }));
}
process.stdout.write(`${JSON.stringify(sentAt)}\n`);
