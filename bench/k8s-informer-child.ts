// Child of bench/k8s-submit.ts: a process that does nothing but what a worker's k8s-operator
// launcher does to follow runs (one informer on the namespace), reporting its resident memory
// before the informer starts and once it holds every application. Args: <kubeconfig> <namespace> <count>.
import { createOperatorLauncher } from '../broker/launchers/k8s/launchers.ts';
import type { LakeStorage } from '../broker/lake/storage.ts';

const [kubeconfig, namespace, count] = process.argv.slice(2) as [string, string, string];
const noLake = { rootUri: 'memory://', uri: (key: string) => key, read: async () => undefined } as unknown as LakeStorage;
const launcher = createOperatorLauncher({
  kubeconfig, namespace, appFile: 'local:///x', sparkVersion: '4.0.1', driverLogs: false, resyncMs: 300_000, quietMs: 600_000,
}, noLake);
(globalThis as { gc?: () => void }).gc?.();
const base = process.memoryUsage();
const stop = launcher.watch({ ended: () => undefined });
const deadline = Date.now() + 120_000;
while ((launcher.informerOf(namespace)?.objects().length ?? 0) < Number(count)) {
  if (Date.now() > deadline) throw new Error(`the informer holds ${launcher.informerOf(namespace)?.objects().length} of ${count} applications after 120 s`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
(globalThis as { gc?: () => void }).gc?.();
await new Promise((resolve) => setTimeout(resolve, 500));
const memory = process.memoryUsage();
process.stdout.write(JSON.stringify({
  objects: launcher.informerOf(namespace)!.objects().length,
  rssMB: memory.rss / 1_048_576,
  heapMB: memory.heapUsed / 1_048_576,
  baseRssMB: base.rss / 1_048_576,
  baseHeapMB: base.heapUsed / 1_048_576,
}));
stop();
await launcher.close();
process.exit(0);
