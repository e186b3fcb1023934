// The SSE side of the events fan-out benchmark, run as its own process (as real clients are)
// so that its CPU does not count against the server: CLIENTS SSE clients following
// /v1/events, and beside them, as the baseline, one raw XREAD BLOCK loop on the same stream
// (what a client reading Redis directly would see). It prints "ready" once every client is
// subscribed, and when each has seen EXPECTED events, one JSON line: per event id, the
// receive times (ms since the epoch, on the wall clock) of every SSE client and of the raw reader.
// usage: events-clients.ts URL API_KEY REDIS_URL STREAM_KEY CLIENTS EXPECTED
import { Redis } from 'ioredis';
import { openSse } from '../test/harness/sse-client.ts';
import { waitFor } from '../test/harness/wait-for.ts';

const [url, apiKey, redisUrl, streamKey, clientsText, expectedText] = process.argv.slice(2);
const clients = Number(clientsText);
const expected = Number(expectedText);
// The wall clock, as Redis stamps stream ids with it. performance.timeOrigin + now() is a
// monotonic clock anchored once at start-up: it drifts from the wall clock (one run read every
// event as delivered 26 ms before it was written), which would shift every latency.
const now = () => Date.now();

const sse: Record<string, number[]> = {};
const raw: Record<string, number> = {};
const counts: number[] = [];

const redis = new Redis(redisUrl!, { maxRetriesPerRequest: null });
const [last] = (await redis.xrevrange(streamKey!, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
let rawLastId = last?.[0] ?? '0-0';
let rawCount = 0;
const rawLoop = (async () => {
  while (rawCount < expected) {
    const result = (await redis.xread('COUNT', 1_000, 'BLOCK', 5_000, 'STREAMS', streamKey!, rawLastId)) as Array<[string, Array<[string, string[]]>]> | null;
    const at = now();
    for (const [id] of result?.[0]?.[1] ?? []) {
      rawLastId = id;
      raw[id] = at;
      rawCount += 1;
    }
  }
})();

const followers = await Promise.all(
  Array.from({ length: clients }, async (_, i) => {
    counts[i] = 0;
    const client = await openSse(`${url}/v1/events`, apiKey!);
    if (client.status !== 200) throw new Error(`GET /v1/events answered ${client.status}`);
    client.onFrame = (frame) => {
      if (frame.id === undefined) return;
      (sse[frame.id] ??= []).push(frame.receivedAt);
      counts[i] = (counts[i] ?? 0) + 1;
    };
    await client.until('subscribed', () => (client.comments.includes('subscribed') ? true : undefined), 30_000);
    return client;
  }),
);
process.stdout.write('ready\n');
await waitFor('every event at every client', async () => (counts.every((n) => n >= expected) && rawCount >= expected ? true : undefined), 600_000, 50);
await rawLoop;
for (const client of followers) client.close();
redis.disconnect();
// Exit only once the line is flushed: a pipe's writes are asynchronous.
process.stdout.write(`${JSON.stringify({ sse, raw })}\n`, () => process.exit(0));
