// Kubernetes submit path: jobs through the k8s-operator launcher (a whole Sluice: API call,
// Redis, BullMQ, the step machine, the launcher's create) against a plain loop of
// createNamespacedCustomObject calls of the same SparkApplications, on the same simulated
// cluster (a real API server and etcd, kwok playing operator and kubelets) in the same run;
// then the informer's memory with 5,000 SparkApplications present, in a process of its own.
// kwok (the simulated operator and kubelets) is paused while submits are measured: on two
// cores its own reaction to each new application (a status patch, a driver pod, its
// scheduling and status, events: about ten writes) would otherwise be most of what is
// measured, in both paths alike; with it running this machine gave 0.96 x and a p99 of 2.1 s.
//   BENCH k8s_submit_vs_loop <ratio> x          (target ≥ 0.5)
//   BENCH k8s_queued_to_created_p99 <ms> ms     (at 20 jobs/s; target < 200)
//   BENCH k8s_informer_5k_rss <MB> MB           (target < 150)
// Part of make bench; alone: node --import tsx bench/run-all.ts k8s (or node --import tsx bench/k8s-submit.ts).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { inParallel } from '../broker/in-parallel.ts';
import { buildRunSpec } from '../broker/core/run-spec.ts';
import { KubeApi, kubeConfigFrom } from '../broker/launchers/k8s/kube-api.ts';
import { runObjects } from '../broker/launchers/k8s/run-objects.ts';
import { buildSparkApplication } from '../broker/launchers/k8s/spark-application.ts';
import { pipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../broker/sluice.ts';
import { KubeCluster, k8sUnavailable } from '../test/harness/k8s-cluster.ts';
import { driverAnnotations, k8sPipeline, startK8sLauncherFixture } from '../test/harness/k8s-launcher-fixture.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { percentile, report } from './stats.ts';

const JOBS = 500;
const PACED_JOBS = 200;
const PACED_PER_SECOND = 20;
const INFORMER_APPS = 5_000;
const CLIENTS = 16;
const NS = 'bench';
const APPS_PATH = `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications`;

type Seen = Map<string, number>;

/** Watches the namespace's SparkApplications (as the admin) and records when each was first seen. */
async function watchCreations(cluster: KubeCluster, seen: Seen): Promise<() => void> {
  const { request } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const req = request(`${cluster.server}${APPS_PATH}?watch=1&allowWatchBookmarks=false`, {
    ca: readFileSync(cluster.caPath),
    headers: { authorization: `Bearer ${cluster.adminToken}` },
  });
  req.on('response', (response) => {
    let buffer = '';
    response.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const event = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
        if (event.type === 'ADDED' && !seen.has(event.object.metadata.name)) seen.set(event.object.metadata.name, performance.timeOrigin + performance.now());
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function k8sSubmit(): Promise<void> {
  const unavailable = k8sUnavailable();
  if (unavailable) {
    process.stdout.write(`k8s-submit: skipped: ${unavailable}\n`);
    return;
  }
  // Enough fake nodes for every driver pod the runs make, so scheduling stays cheap.
  const cluster = await KubeCluster.start({ nodes: 12 });
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'silent' });
  let fixture: Awaited<ReturnType<typeof startK8sLauncherFixture>> | undefined;
  try {
    fixture = await startK8sLauncherFixture(cluster, NS);
    // Drivers that run for a day: the cluster does the same work for both paths, and none ends while measured.
    const pipeline = k8sPipeline('bench-k8s', { launcher: 'k8s-operator', pod_template: { annotations: driverAnnotations({ runningFor: '24h' }) } }, { concurrency: 1_000 });
    const seen: Seen = new Map();
    const stopWatch = await watchCreations(cluster, seen);

    // 1. The plain loop: the same application bodies, one create after another, with Sluice's own token.
    const api = new KubeApi(kubeConfigFrom(fixture.kubeconfig));
    const { settings } = fixture;
    const bodyFor = (jobId: string) => {
      const spec = buildRunSpec({ pipeline, jobId, attempt: 1, inputs: ['s3://landing/in.parquet'], parameters: {}, runUri: `s3://lake/bench/run=${jobId}-1` });
      const request = { jobId, attempt: 1, pipeline, spec };
      return buildSparkApplication(runObjects(request, settings), request, settings);
    };
    for (let i = 0; i < 20; i += 1) await api.createApplication(NS, bodyFor(`warm${i}`));
    const kwok = cluster.pids.kwok!;
    process.kill(kwok, 'SIGSTOP');
    const loopStart = performance.now();
    for (let i = 0; i < JOBS; i += 1) await api.createApplication(NS, bodyFor(`loop${i}`));
    const loopSeconds = (performance.now() - loopStart) / 1_000;

    // 2. Sluice: jobs submitted as fast as CLIENTS callers can, until the last application exists.
    const sluice = await startSluice(env.config({
      SLUICE_K8S_KUBECONFIG: fixture.kubeconfig,
      SLUICE_K8S_NAMESPACE: NS,
      SLUICE_K8S_SPARK_IMAGE: 'registry.example/sluice-spark:4.0',
      SLUICE_K8S_DRIVER_LOGS: 'off',
      SLUICE_S3_LANDING_ROOTS: 's3://landing/',
      SLUICE_MAX_RUNNING: '10000',
      SLUICE_WORKER_CONCURRENCY: '32',
      // The runs go on for a day: no await poll while measuring (the informer would wake an end).
      SLUICE_AWAIT_POLL: '10m',
    }), { api: false, worker: true }, { pipelines: pipelineRegistry([pipeline]) });
    try {
      const submitAll = async (count: number, rate: number): Promise<Map<string, number>> => {
        const queuedAt = new Map<string, number>();
        const submitOne = async (): Promise<void> => {
          const { job } = await sluice.jobs.submit({ pipeline: pipeline.name, parameters: {}, inputs: ['s3://landing/in.parquet'], labels: {} });
          queuedAt.set(job.id, performance.timeOrigin + performance.now());
        };
        if (rate === 0) {
          await inParallel(Array.from({ length: count }, (_, i) => i), CLIENTS, submitOne);
        } else {
          const start = performance.now();
          const sends: Promise<void>[] = [];
          for (let i = 0; i < count; i += 1) {
            const wait = start + (i * 1_000) / rate - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            sends.push(submitOne());
          }
          await Promise.all(sends);
        }
        return queuedAt;
      };
      const created = (ids: Iterable<string>) => [...ids].every((id) => seen.has(`sluice-${id}-1`));

      const warm = await submitAll(20, 0);
      await waitUntil(() => created(warm.keys()), 60_000, 'the warm-up applications');
      const sluiceStart = performance.now();
      const burst = await submitAll(JOBS, 0);
      await waitUntil(() => created(burst.keys()), 300_000, 'the burst applications');
      const sluiceSeconds = (performance.now() - sluiceStart) / 1_000;
      process.stdout.write(`k8s-submit: plain loop ${(JOBS / loopSeconds).toFixed(0)} creates/s, Sluice ${(JOBS / sluiceSeconds).toFixed(0)} jobs/s to created (${JOBS} each)\n`);
      report('k8s_submit_vs_loop', loopSeconds / sluiceSeconds, 'x');

      const paced = await submitAll(PACED_JOBS, PACED_PER_SECOND);
      await waitUntil(() => created(paced.keys()), 120_000, 'the paced applications');
      const latencies = [...paced].map(([id, at]) => seen.get(`sluice-${id}-1`)! - at);
      process.stdout.write(`k8s-submit: queued → created at ${PACED_PER_SECOND}/s: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (${PACED_JOBS} jobs)\n`);
      report('k8s_queued_to_created_p99', percentile(latencies, 99), 'ms');
    } finally {
      await sluice.close();
      stopWatch();
      process.kill(kwok, 'SIGCONT');
    }

    // 3. The informer with 5,000 applications present, in a fresh process (its own heap only).
    const present = JOBS * 2 + PACED_JOBS + 40;
    await inParallel(Array.from({ length: INFORMER_APPS - present }, (_, i) => i), 8, async (i) => {
      const body = bodyFor(`mem${i}`);
      // Refused at submission by the simulated operator: no driver pod, so the cluster stays small.
      body.metadata.annotations = { ...body.metadata.annotations, 'sim.sluice.io/submission': 'fail' };
      await api.createApplication(NS, body);
    });
    const rssMB = await informerRss(fixture.kubeconfig, INFORMER_APPS);
    // What the informer adds to the process that runs it (node, tsx, the client and the launcher's modules are there without it).
    report('k8s_informer_5k_rss', rssMB, 'MB', 1);
  } finally {
    await fixture?.close();
    await env.close();
    await cluster.stop();
  }
}

/** Starts bench/k8s-informer-child.ts and reads the RSS it reports once its informer holds `count` applications. */
async function informerRss(kubeconfig: string, count: number): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/k8s-informer-child.ts', kubeconfig, NS, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`informer child exited with ${code}`);
  const result = JSON.parse(out) as { rssMB: number; objects: number; heapMB: number; baseRssMB: number; baseHeapMB: number };
  process.stdout.write(
    `k8s-submit: informer holding ${result.objects} SparkApplications: process RSS ${result.rssMB.toFixed(1)} MB (${result.baseRssMB.toFixed(1)} MB before the informer), ` +
      `heap ${result.heapMB.toFixed(1)} MB (${result.baseHeapMB.toFixed(1)} MB before)\n`,
  );
  return result.rssMB - result.baseRssMB;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await k8sSubmit();
  process.exit(0);
}
