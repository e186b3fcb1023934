// The one door to the Kubernetes API for the launchers (with run-informer.ts and the log
// stream, the only importers of @kubernetes/client-node): the few calls they make, in the
// verbs the broker's Role grants (create, get, list, watch, delete; pods/log get; events
// list) and nothing else, with the API's errors read into the project's error kinds.
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { ConfigError, OperationalError } from '../../core/errors.ts';
import { SPARK_GROUP, SPARK_PLURAL, SPARK_VERSION, type SparkApplication } from './spark-application.ts';

export type { V1Pod };

/** `in-cluster`: the pod's ServiceAccount token and CA; anything else is a kubeconfig path. */
export function kubeConfigFrom(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  try {
    if (kubeconfig === 'in-cluster') config.loadFromCluster();
    else config.loadFromFile(kubeconfig);
  } catch (error) {
    // Said at start-up, naming the setting: a worker that cannot reach its cluster should not start.
    throw new ConfigError(`SLUICE_K8S_KUBECONFIG: cannot load ${kubeconfig === 'in-cluster' ? 'the in-cluster ServiceAccount configuration' : kubeconfig}: ${(error as Error).message}`, { cause: error });
  }
  if (!config.getCurrentCluster()) throw new ConfigError(`SLUICE_K8S_KUBECONFIG: ${kubeconfig} names no current cluster`);
  return config;
}

export const statusOf = (error: unknown): number | undefined => (error instanceof ApiException ? error.code : undefined);
export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;
export const isAlreadyExists = (error: unknown): boolean => statusOf(error) === 409;

/** A refusal no retry cures (forbidden, invalid): its words from the API server's Status. */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

/** Wraps a failed call: a refusal (4xx but 404/409, read by callers) is said in words; the rest is the platform's, retried. */
export function kubeError(what: string, error: unknown): Error {
  return new OperationalError(`${what}: ${apiMessage(error)}`, { cause: error });
}

export type KubeEvent = { reason?: string; message?: string; type?: string; count?: number; lastTimestamp?: Date | string };

export class KubeApi {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;

  constructor(readonly config: KubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  createApplication(namespace: string, body: SparkApplication): Promise<SparkApplication> {
    return this.custom.createNamespacedCustomObject({ group: SPARK_GROUP, version: SPARK_VERSION, namespace, plural: SPARK_PLURAL, body }) as Promise<SparkApplication>;
  }

  async getApplication(namespace: string, name: string): Promise<SparkApplication | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: SPARK_GROUP, version: SPARK_VERSION, namespace, plural: SPARK_PLURAL, name })) as SparkApplication;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw kubeError(`reading SparkApplication ${namespace}/${name}`, error);
    }
  }

  async listApplications(namespace: string, labelSelector: string): Promise<{ items: SparkApplication[]; metadata?: { resourceVersion?: string } }> {
    return (await this.custom.listNamespacedCustomObject({ group: SPARK_GROUP, version: SPARK_VERSION, namespace, plural: SPARK_PLURAL, labelSelector })) as {
      items: SparkApplication[];
    };
  }

  /** Deletes with the given propagation; true when it existed. */
  async deleteApplication(namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background'): Promise<boolean> {
    try {
      await this.custom.deleteNamespacedCustomObject({ group: SPARK_GROUP, version: SPARK_VERSION, namespace, plural: SPARK_PLURAL, name, propagationPolicy });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw kubeError(`deleting SparkApplication ${namespace}/${name}`, error);
    }
  }

  async getPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw kubeError(`reading pod ${namespace}/${name}`, error);
    }
  }

  async deletePod(namespace: string, name: string, propagationPolicy: 'Foreground' | 'Background'): Promise<boolean> {
    try {
      await this.core.deleteNamespacedPod({ namespace, name, propagationPolicy });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw kubeError(`deleting pod ${namespace}/${name}`, error);
    }
  }

  /** Creates an object a run needs beside its main one; one that exists already is left as it is. */
  async createIfAbsent(kind: 'ConfigMap' | 'Service', namespace: string, body: Record<string, unknown>): Promise<void> {
    try {
      if (kind === 'ConfigMap') await this.core.createNamespacedConfigMap({ namespace, body });
      else await this.core.createNamespacedService({ namespace, body });
    } catch (error) {
      if (isAlreadyExists(error)) return;
      throw kubeError(`creating ${kind} ${namespace}/${String((body.metadata as { name?: string } | undefined)?.name)}`, error);
    }
  }

  /** The events about one object, newest last (the reasons a pod does not start are told there). */
  async eventsFor(namespace: string, kind: string, name: string): Promise<KubeEvent[]> {
    try {
      const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` });
      return list.items.map((event) => ({
        ...(event.reason ? { reason: event.reason } : {}),
        ...(event.message ? { message: event.message } : {}),
        ...(event.type ? { type: event.type } : {}),
      }));
    } catch {
      // Events are only ever extra words for a reason; their absence must not fail a status read.
      return [];
    }
  }

  async podLog(namespace: string, name: string, container: string, tailLines?: number): Promise<string | undefined> {
    try {
      return await this.core.readNamespacedPodLog({ namespace, name, container, ...(tailLines !== undefined ? { tailLines } : {}) });
    } catch (error) {
      if (isNotFound(error) || statusOf(error) === 400) return undefined;
      throw kubeError(`reading the log of pod ${namespace}/${name}`, error);
    }
  }

  /** Follows a pod's log until it ends or the signal aborts; chunks go to `onChunk`. */
  async followPodLog(namespace: string, name: string, container: string, onChunk: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        onChunk(chunk.toString('utf8'));
        done();
      },
    });
    const finished = new Promise<void>((resolve) => sink.once('finish', () => resolve()));
    const request = await new Log(this.config).log(namespace, name, container, sink, { follow: true, tailLines: 0 });
    const abort = (): void => request.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await finished;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }
}
