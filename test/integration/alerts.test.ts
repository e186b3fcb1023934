// Alerts (issue 11, docs/adr/0020-alerts.md): webhooks for failed, succeeded, quarantined and
// late jobs, sent by the notifiers of real Sluice worker processes (in-process, as startSluice
// runs them) on a real Redis, to a real HTTP server in this test that records what it gets
// and verifies each signature the way a receiver would.
//
// Fault: a target that answers 500 (then recovers) is retried with backoff and the job is
// unaffected; a target that is down for good ends as a failed delivery, listed by the API.
// Two worker processes raise a missed deadline once, and an event left unacknowledged by a
// notifier that died is taken over by another and still delivered once. A target that never
// answers holds only its share of a worker's delivery slots: another target's alerts go on.
// A schedule's catch-up run, made after its tick's deadline had passed (the broker was down),
// raises deadline_missed at once.
//
// Test-only settings: retries are 4 attempts from 300 ms (production: 8 from 5 s) and a dead
// notifier's events are taken over after 1 s (production: 60 s), through startSluice's
// overrides; everything else is the production default.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryAttempt } from '../../broker/core/alerts.ts';
import type { RunHandle } from '../../broker/core/job.ts';
import type { RunManifest } from '../../broker/core/manifest.ts';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import { manifestKey } from '../../broker/lake/manifests.ts';
import { openLake } from '../../broker/lake/open-lake.ts';
import type { LakeStorage } from '../../broker/lake/storage.ts';
import type { Launcher, RunRequest, RunStatus } from '../../broker/launchers/launcher.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { NotificationQueue, deliveryId } from '../../broker/queue/notification-queue.ts';
import { SCHEDULES_QUEUE, type TickData } from '../../broker/queue/schedule-queue.ts';
import { alertOfEvent } from '../../broker/notify/alert-body.ts';
import { NOTIFIER_GROUP, notifyKeys } from '../../broker/notify/notify-keys.ts';
import { redisOptions, startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { s3Settings } from '../../broker/config.ts';
import { freePort } from '../harness/free-port.ts';
import { http, type Http } from '../harness/http.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';
import pino from 'pino';

const SECRET = 'test-webhook-secret';
const RETRY = { attempts: 4, backoffMs: 300 };

/** What the receiver got: one entry per request. */
type Received = { path: string; headers: IncomingHttpHeaders; body: string; at: number; answered: number };

/**
 * A webhook receiver: /ok answers 204; /flaky answers 500 to a delivery's first two attempts,
 * then 200; /hang answers nothing until release() (then 204, as /ok).
 */
class Receiver {
  readonly received: Received[] = [];
  /** When each /hang request that was never answered was closed by its sender (its attempt timed out). */
  readonly hungClosedAt: number[] = [];
  private readonly flakyCounts = new Map<string, number>();
  /** The answers of /hang requests held open, until release(). */
  private hanging: Set<() => void> | undefined = new Set();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, (server.address() as { port: number }).port);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let status = 204;
        if (request.url === '/flaky') {
          const delivery = String(request.headers['x-sluice-delivery']);
          const seen = (receiver.flakyCounts.get(delivery) ?? 0) + 1;
          receiver.flakyCounts.set(delivery, seen);
          status = seen <= 2 ? 500 : 200;
        }
        const answer = (): void => {
          receiver.received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), answered: status });
          response.writeHead(status).end();
        };
        const held = receiver.hanging;
        if (request.url === '/hang' && held) {
          held.add(answer);
          response.on('close', () => held.delete(answer) && receiver.hungClosedAt.push(Date.now()));
          return;
        }
        answer();
      });
    });
    return receiver;
  }

  /** /hang requests held open now. */
  get hangingCount(): number {
    return this.hanging?.size ?? 0;
  }

  /** Answers the /hang requests held, and those to come. */
  release(): void {
    const held = [...(this.hanging ?? [])];
    this.hanging = undefined;
    for (const answer of held) answer();
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests about a job, of one event type. */
  about(jobId: string, type?: string): Received[] {
    return this.received.filter((r) => (JSON.parse(r.body) as { jobId?: string }).jobId === jobId && (type === undefined || r.headers['x-sluice-event'] === type));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Verifies a request as a receiver would: HMAC-SHA256 of "<timestamp>.<raw body>", compared in constant time. */
function signatureValid(request: Received, secret: string): boolean {
  const timestamp = String(request.headers['x-sluice-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-sluice-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1_000 - Number(timestamp)) < 300;
}

/**
 * A launcher whose runs follow their parameters: running for `seconds`, then failed (class
 * data) when `exit` is set, else succeeded with an empty committed manifest. Shared by the
 * workers of one test, as a cluster would be.
 */
class ScriptedLauncher implements Launcher {
  readonly name = 'local';
  private readonly runs = new Map<string, { endsAt: number; fails: boolean }>();
  constructor(private readonly lake: LakeStorage) {}

  async launch(request: RunRequest): Promise<RunHandle> {
    const runId = `${request.jobId}-${request.attempt}`;
    const fails = Number(request.spec.parameters.exit ?? 0) !== 0;
    if (!this.runs.has(runId)) {
      this.runs.set(runId, { endsAt: Date.now() + Number(request.spec.parameters.seconds ?? 0) * 1_000, fails });
      if (!fails) {
        const manifest: RunManifest = {
          version: 1, job_id: request.jobId, attempt: request.attempt, pipeline: request.pipeline.name, table: request.spec.output.table,
          run_uri: request.spec.output.run_uri, committed_at: new Date().toISOString(), rows_in: 0, rows_out: 0, inputs: [], files: [], schema: [],
        };
        await this.lake.write(manifestKey(request.spec.output.table, request.jobId, request.attempt), JSON.stringify(manifest));
      }
    }
    return { launcher: this.name, runId, attempt: request.attempt, startedAt: new Date().toISOString() };
  }

  async status(handle: RunHandle): Promise<RunStatus> {
    const run = this.runs.get(handle.runId);
    if (!run) return { phase: 'lost', message: 'unknown run' };
    if (Date.now() < run.endsAt) return { phase: 'running' };
    return run.fails ? { phase: 'failed', failureClass: 'data', message: 'scripted failure', logTail: '' } : { phase: 'succeeded' };
  }

  async cancel(): Promise<void> {}
  async *logs(): AsyncIterable<string> {}
}

function alerting(name: string, notify: Array<{ target: string; on: string[] }>, policy: Record<string, unknown> = {}): Pipeline {
  return PipelineSchema.parse({
    name,
    input: { columns: { x: 'long' } },
    parameters: { seconds: { type: 'number', default: 0 }, exit: { type: 'number', default: 0 } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: name.replace(/-/g, '_') } },
    engine: { cores: 1, driver_memory: '256m' },
    policy: { max_attempts: 1, ...policy },
    notify,
  });
}

const pipelines = pipelineRegistry([
  alerting('alerts-failing', [{ target: 'ops', on: ['failed'] }]),
  alerting('alerts-flaky', [{ target: 'flaky', on: ['succeeded'] }]),
  alerting('alerts-down', [{ target: 'down', on: ['failed', 'succeeded'] }]),
  alerting('alerts-late', [{ target: 'ops', on: ['deadline_missed'] }], { deadline: '3s' }),
]);

let env: SluiceEnv;
let receiver: Receiver;
let api: RunningSluice;
const workers: RunningSluice[] = [];
let client: Http;
let redis: Redis;
let launcher: ScriptedLauncher;

async function startWorker(prefix?: string): Promise<RunningSluice> {
  const config = env.config(prefix ? { SLUICE_QUEUE_PREFIX: prefix } : {});
  const worker = await startSluice(config, { api: false, worker: true }, { pipelines, launcher, notifyRetry: RETRY, notifyClaimIdleMs: 1_000 });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  receiver = await Receiver.start();
  const downPort = await freePort(); // nothing listens there
  env = await createSluiceEnv({
    SLUICE_WEBHOOK_OPS_URL: receiver.url('/ok'),
    SLUICE_WEBHOOK_OPS_SECRET: SECRET,
    SLUICE_WEBHOOK_FLAKY_URL: receiver.url('/flaky'),
    SLUICE_WEBHOOK_FLAKY_SECRET: SECRET,
    SLUICE_WEBHOOK_DOWN_URL: `http://127.0.0.1:${downPort}/hook`,
    SLUICE_WEBHOOK_DOWN_SECRET: SECRET,
    SLUICE_WEBHOOK_HUNG_URL: receiver.url('/hang'),
    SLUICE_WEBHOOK_HUNG_SECRET: SECRET,
    SLUICE_WEBHOOK_LINK_BASE: 'https://sluice.example.com',
  });
  const config = env.config();
  launcher = new ScriptedLauncher(openLake(config.SLUICE_LAKE_URI, s3Settings(config)));
  api = await startSluice(config, { api: true, worker: false }, { pipelines });
  await startWorker();
  await startWorker();
  client = http(`http://127.0.0.1:${api.port}`, env.apiKey);
  redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
});

afterAll(async () => {
  redis?.disconnect();
  for (const worker of workers) await worker.close();
  await api?.close();
  await receiver?.close();
  await env?.close();
});

const submit = (pipeline: string, parameters: Record<string, number> = {}) => client.submit({ pipeline, parameters, inputs: ['none.parquet'] });

async function notificationsOf(jobId: string): Promise<DeliveryAttempt[]> {
  const response = await client.get(`/v1/jobs/${jobId}/notifications`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: DeliveryAttempt[] }).items;
}

describe('webhook alerts', () => {
  it('a failed job sends one signed job.failed webhook that the receiver verifies, without secrets', async () => {
    const job = await submit('alerts-failing', { exit: 1 });
    expect((await client.finished(job.id, 30_000)).state).toBe('failed');
    const [request] = await waitFor('the job.failed webhook', async () => (receiver.about(job.id).length > 0 ? receiver.about(job.id) : undefined), 20_000);
    expect(request!.path).toBe('/ok');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-sluice-event']).toBe('job.failed');
    expect(signatureValid(request!, SECRET)).toBe(true);
    expect(signatureValid(request!, 'another-secret')).toBe(false);
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'job.failed',
      pipeline: 'alerts-failing',
      jobId: job.id,
      state: 'failed',
      failure: { class: 'data', message: 'scripted failure' },
      url: `https://sluice.example.com/ui/jobs/${job.id}`,
    });
    expect(request!.body).not.toContain(SECRET);
    for (const key of ['traceId', 'attempt', 'id', 'inputs', 'parameters']) expect(body).not.toHaveProperty(key);
    // Two worker processes, one delivery; its log says so.
    await sleep(1_500);
    expect(receiver.about(job.id)).toHaveLength(1);
    const log = await notificationsOf(job.id);
    expect(log).toEqual([expect.objectContaining({ target: 'ops', event: 'job.failed', attempt: 1, ok: true, status: 204, final: true, delivery: request!.headers['x-sluice-delivery'] })]);
  });

  it('a target that answers 500 and then recovers is retried with backoff; the job is unaffected and the failed attempts are visible', async () => {
    const job = await submit('alerts-flaky');
    expect((await client.finished(job.id, 30_000)).state).toBe('succeeded');
    const attempts = await waitFor('the third attempt', async () => (receiver.about(job.id).length >= 3 ? receiver.about(job.id) : undefined), 20_000);
    expect(attempts.map((r) => r.answered)).toEqual([500, 500, 200]);
    // One delivery (same id on every attempt), tried again after growing waits (300 ms, then 600 ms).
    expect(new Set(attempts.map((r) => r.headers['x-sluice-delivery'])).size).toBe(1);
    const firstWait = attempts[1]!.at - attempts[0]!.at;
    const secondWait = attempts[2]!.at - attempts[1]!.at;
    expect(firstWait).toBeGreaterThanOrEqual(250);
    expect(secondWait).toBeGreaterThanOrEqual(550);
    expect(secondWait).toBeGreaterThan(firstWait);
    const log = await waitFor('three attempts in the log', async () => {
      const entries = await notificationsOf(job.id);
      return entries.length >= 3 ? entries : undefined;
    }, 10_000);
    expect(log.map(({ attempt, ok, status, final }) => ({ attempt, ok, status, final }))).toEqual([
      { attempt: 1, ok: false, status: 500, final: undefined },
      { attempt: 2, ok: false, status: 500, final: undefined },
      { attempt: 3, ok: true, status: 200, final: true },
    ]);
    expect(log[0]!.error).toBe('the target answered 500');
    const after = await client.job(job.id);
    expect(after.state).toBe('succeeded');
    expect(after.history.map((change) => change.state)).toEqual(['queued', 'launching', 'running', 'succeeded']);
  });

  it('a target that is down for good ends as a failed delivery listed by GET /v1/notifications?failed=true; the job is unaffected', async () => {
    const job = await submit('alerts-down');
    expect((await client.finished(job.id, 30_000)).state).toBe('succeeded');
    const failed = await waitFor('the failed delivery', async () => {
      const response = await client.get('/v1/notifications?failed=true');
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: DeliveryAttempt[]; total: number };
      return page.items.find((item) => item.jobId === job.id);
    }, 20_000);
    expect(failed).toMatchObject({ target: 'down', event: 'job.succeeded', pipeline: 'alerts-down', attempt: RETRY.attempts, ok: false, final: true, error: 'could not reach the target: ECONNREFUSED' });
    const log = await notificationsOf(job.id);
    expect(log.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4]);
    expect(log.every((entry) => !entry.ok)).toBe(true);
    // The target's URL (it may carry a token) is nowhere in what the API shows.
    expect(JSON.stringify(log)).not.toContain('/hook');
    expect((await client.job(job.id)).state).toBe('succeeded');
    // Without failed=true: recent deliveries, delivered or not.
    const recent = (await (await client.get('/v1/notifications')).json()) as { items: DeliveryAttempt[] };
    expect(recent.items.some((item) => item.jobId === job.id && !item.ok)).toBe(true);
    expect((await client.get('/v1/notifications?failed=maybe')).status).toBe(422);
  });

  it('a job still running at its deadline raises exactly one deadline_missed with two worker processes; a job done in time raises none', async () => {
    const late = await submit('alerts-late', { seconds: 8 });
    const quick = await submit('alerts-late');
    const [request] = await waitFor('the deadline_missed webhook', async () => (receiver.about(late.id, 'deadline_missed').length > 0 ? receiver.about(late.id, 'deadline_missed') : undefined), 20_000);
    expect(signatureValid(request!, SECRET)).toBe(true);
    const body = JSON.parse(request!.body) as { type: string; state: string; time: string; jobId: string };
    expect(body).toMatchObject({ type: 'deadline_missed', jobId: late.id, state: 'running' });
    expect(Date.parse(body.time)).toBe(Date.parse(late.createdAt) + 3_000);
    expect((await client.finished(late.id, 30_000)).state).toBe('succeeded');
    expect((await client.job(quick.id)).state).toBe('succeeded');
    await sleep(3_000); // several sweeps of both workers
    expect(receiver.about(late.id, 'deadline_missed')).toHaveLength(1);
    expect(receiver.about(quick.id)).toHaveLength(0);
    expect((await notificationsOf(late.id)).map((entry) => entry.event)).toEqual(['deadline_missed']);
  });

  it("a schedule's catch-up run made after its tick's deadline (the broker was down) raises deadline_missed at once", async () => {
    // Daily at 05:00 UTC, deadline 06:00; the last 05:00 whose 06:00 has passed, by a minute or more.
    const DAY = 86_400_000;
    let tick = Math.floor(Date.now() / DAY) * DAY + 5 * 3_600_000;
    if (tick + 3_600_000 > Date.now() - 60_000) tick -= DAY;
    const scheduled = PipelineSchema.parse({
      name: 'alerts-catchup',
      input: { columns: { x: 'long' }, paths: ['none.parquet'] },
      parameters: { seconds: { type: 'number', default: 0 } },
      transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
      outputs: { lake: { table: 'alerts_catchup' } },
      engine: { cores: 1, driver_memory: '256m' },
      policy: { max_attempts: 1, deadline: '06:00' },
      schedule: { cron: '0 5 * * *', timezone: 'UTC', params: { seconds: 8 } },
      notify: [{ target: 'ops', on: ['deadline_missed'] }],
    });
    // A Sluice of its own (another prefix). While no worker ran, the scheduler's job for that
    // tick waited in Redis, due (ADR 0019's catch-up); put here as BullMQ keeps it.
    const prefix = 'catchup';
    const ticks = new Queue<TickData>(SCHEDULES_QUEUE, { connection: redisOptions(env.redis.url), prefix });
    await ticks.add('tick', { pipeline: scheduled.name, schedule: scheduled.schedule! }, { jobId: `repeat:${scheduled.name}:${tick}` });
    await ticks.close();
    const config = env.config({ SLUICE_QUEUE_PREFIX: prefix });
    const worker = await startSluice(config, { api: false, worker: true }, { pipelines: pipelineRegistry([scheduled]), launcher, notifyRetry: RETRY, notifyClaimIdleMs: 1_000 });
    workers.push(worker);
    const job = await waitFor('the catch-up job', async () => (await worker.jobs.list({ pipeline: scheduled.name, limit: 10 })).items[0], 10_000);
    expect(job.labels['scheduled-for']).toBe(new Date(tick).toISOString());
    // Made after the deadline, and still running when alerted (8 s): alerted at the next sweep (every 2 s).
    expect(Date.parse(job.createdAt)).toBeGreaterThan(tick + 3_600_000);
    const [request] = await waitFor('the deadline_missed webhook', async () => (receiver.about(job.id, 'deadline_missed').length > 0 ? receiver.about(job.id, 'deadline_missed') : undefined), 10_000);
    expect(request!.at - Date.parse(job.createdAt)).toBeLessThan(6_000);
    const body = JSON.parse(request!.body) as { type: string; pipeline: string; time: string };
    expect(body).toMatchObject({ type: 'deadline_missed', pipeline: scheduled.name });
    expect(body.time).toBe(new Date(tick + 3_600_000).toISOString());
  });

  it('an event left pending by a notifier that died is taken over by another and delivered once', async () => {
    // A Sluice of its own (another prefix) whose notifiers start after the "dead" one took the event.
    const prefix = 'redeliver';
    const events = `${prefix}:events`;
    await redis.call('XGROUP', 'CREATE', events, NOTIFIER_GROUP, '$', 'MKSTREAM');
    const jobId = 'jdeadnotifier0001';
    const fields = ['type', 'job.failed', 'time', String(Date.now()), 'state', 'failed', 'from', 'running', 'pipeline', 'alerts-failing', 'job', jobId, 'attempt', '1', 'fclass', 'data', 'fmessage', 'boom'];
    const id = (await redis.xadd(events, '*', ...fields))!;
    // The dead notifier read it and handed it off, but died before acknowledging it.
    const taken = (await redis.call('XREADGROUP', 'GROUP', NOTIFIER_GROUP, 'dead-notifier', 'COUNT', 10, 'STREAMS', events, '>')) as Array<[string, Array<[string, string[]]>]>;
    expect(taken.flatMap(([, entries]) => entries.map(([entryId]) => entryId))).toEqual([id]);
    const queue = new NotificationQueue(redisOptions(env.redis.url), prefix, pino({ enabled: false }), RETRY);
    await queue.add({
      target: 'ops',
      delivery: deliveryId('ops', id),
      alert: alertOfEvent({ id, type: 'job.failed', time: new Date().toISOString(), state: 'failed', pipeline: 'alerts-failing', jobId }, 'job.failed', 'alerts-failing'),
    });
    await queue.close();
    await startWorker(prefix);
    await startWorker(prefix);
    await waitFor('the entry to be taken over and acknowledged', async () => {
      const [count] = (await redis.call('XPENDING', events, NOTIFIER_GROUP)) as [number];
      return count === 0 ? true : undefined;
    }, 20_000);
    await waitFor('the webhook', async () => (receiver.about(jobId).length > 0 ? true : undefined), 10_000);
    await sleep(1_500);
    expect(receiver.about(jobId)).toHaveLength(1);
    expect(receiver.about(jobId)[0]!.headers['x-sluice-delivery']).toBe(deliveryId('ops', id));
  });

  it("a target that never answers holds only its share of a worker's delivery slots: another target's alert arrives before the hung attempts time out, and nothing is lost", async () => {
    // A Sluice of its own (another prefix) with one worker process: 8 delivery slots.
    const prefix = 'hung';
    const queue = new NotificationQueue(redisOptions(env.redis.url), prefix, pino({ enabled: false }), RETRY);
    const alert = (jobId: string) =>
      alertOfEvent({ id: '1-0', type: 'job.failed', time: new Date().toISOString(), state: 'failed', pipeline: 'alerts-failing', jobId }, 'job.failed', 'alerts-failing');
    const hung = Array.from({ length: 12 }, (_, index) => `jhungtarget${index}`);
    try {
      for (const jobId of hung) await queue.add({ target: 'hung', delivery: deliveryId('hung', jobId), alert: alert(jobId) });
      await startWorker(prefix);
      await waitFor('the hung target to hold requests', async () => (receiver.hangingCount > 0 ? true : undefined), 10_000);
      await queue.add({ target: 'ops', delivery: deliveryId('ops', 'after-hung'), alert: alert('jafterhungtarget') });
      const [healthy] = await waitFor('the healthy target\'s alert', async () => (receiver.about('jafterhungtarget').length > 0 ? receiver.about('jafterhungtarget') : undefined), 20_000);
      // No hung attempt had ended (timed out, 10 s) and freed a slot for it.
      expect(receiver.hungClosedAt.filter((at) => at <= healthy!.at)).toEqual([]);
      expect(receiver.hangingCount).toBeLessThanOrEqual(2);
    } finally {
      receiver.release();
      await queue.close();
    }
    // Put back, not dropped, and without spending attempts: each hung delivery arrives, at its first attempt.
    await waitFor('every hung delivery', async () => (hung.every((jobId) => receiver.about(jobId).length > 0) ? true : undefined), 30_000);
    for (const jobId of hung) expect((await redis.lrange(notifyKeys(prefix).jobLog(jobId), 0, -1)).map((entry) => (JSON.parse(entry) as DeliveryAttempt).attempt)).toEqual([1]);
  });
});
