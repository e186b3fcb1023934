// The Kubernetes launchers' shared body: launch is create-or-adopt by a deterministic name, a
// run is found again from its handle alone (`<namespace>/<name>`) by any worker, its outcome is
// decided from its main object, driver pod and committed manifest together (outcome.ts), one
// informer per namespace wakes the waiting job when a run ends and archives its driver log to
// the lake, and cancel deletes in the foreground and waits until the run is gone. What differs
// between a SparkApplication and a hand-made driver pod is a RunKind (run-kind.ts).
//
//   launch ─► build ─► create main ─┬─ created ────────────────► create companions (owned by main) ─► handle
//                                   └─ 409 ─► get ─┬─ our labels ─► adopt (companions again, idempotent)
//                                                  └─ not ours ──► ConfigError naming the object
import type { KubernetesObject } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConfigError, OperationalError } from '../../core/errors.ts';
import type { RunHandle } from '../../core/job.ts';
import type { LakeStorage } from '../../lake/storage.ts';
import { manifestKey } from '../../lake/manifests.ts';
import type { CallOptions, Launcher, LauncherListener, LogOptions, RunLiveView, RunRequest, RunStatus } from '../launcher.ts';
import { lastLines } from '../log-tail.ts';
import { FAILURE_SEARCH_LINES } from '../spark/exit-contract.ts';
import { checkInputsOnVolumes } from '../../jobs/input-volumes.ts';
import { apiMessage, isAlreadyExists, kubeError, statusOf, type KubeApi } from './kube-api.ts';
import { ANNOTATIONS, jobSelector, LABELS, labelsMatch, parseRunId, runIdOf } from './names.ts';
import { decideOutcome, driverView, type DriverView, type PodLike, type RunView } from './outcome.ts';
import { ENDED_APP_STATES } from './operator-kind.ts';
import { runObjects } from './run-objects.ts';
import { RunInformer } from './run-informer.ts';
import type { RunKind } from './run-kind.ts';
import { linkFrom, type K8sSettings } from './settings.ts';
import { DRIVER_CONTAINER } from './spark-application.ts';

/** Annotations the launcher reads back from a run's main object. */
export const RUN_ANNOTATIONS = {
  /** The lake key of the run's _manifest.json: its commit marker. */
  manifest: 'sluice.io/manifest-key',
  /** The pipeline's timeouts.launching when the run was made: how long its driver may take to start. */
} as const;

export type K8sLauncherOptions = {
  settings: K8sSettings;
  api: KubeApi;
  lake: LakeStorage;
  /** Namespaces to look for runs in besides the default (the pipelines' engine.namespace). */
  namespaces?: readonly string[];
  logger?: Logger | undefined;
  clock?: () => number;
  /** How often cancel() looks whether the run is gone yet. */
  cancelPollMs?: number;
};

/** The end of a driver log kept in the lake: what explains a run, bounded so that archiving never holds a huge log in memory. */
const ARCHIVED_LOG_LINES = 10_000;
/** How long cancel() waits for a foreground deletion when the caller set no deadline. */
const CANCEL_WAIT_MS = 120_000;
/** Ends decided by this launcher itself, remembered so that status stays what it said once the objects are gone. */
const MAX_TOMBSTONES = 10_000;

export class K8sLauncher<T extends KubernetesObject> implements Launcher {
  readonly name: string;
  private readonly listeners = new Set<LauncherListener>();
  private readonly informers = new Map<string, RunInformer<T>>();
  private readonly namespaces: Set<string>;
  /** runId → the end this launcher made: a run it stopped (cancel(), at a cancel or a stage timeout). */
  private readonly tombstones = new Map<string, RunStatus>();
  /** runIds whose main object the informer saw deleted by someone else before it ended. */
  private readonly deletedByOthers = new Set<string>();
  private readonly clock: () => number;
  private closed = false;

  constructor(
    private readonly kind: RunKind<T>,
    private readonly options: K8sLauncherOptions,
  ) {
    this.name = kind.launcherName;
    this.namespaces = new Set([options.settings.namespace, ...(options.namespaces ?? [])]);
    this.clock = options.clock ?? Date.now;
  }

  async launch(request: RunRequest, _options?: CallOptions): Promise<RunHandle> {
    // Before anything is made: an input no pod could read fails the job now, naming it.
    checkInputsOnVolumes(request.pipeline, request.spec.inputs);
    const objects = runObjects(request, this.options.settings);
    const { namespace, name } = objects;
    const table = request.pipeline.outputs.lake.table;
    objects.annotations[RUN_ANNOTATIONS.manifest] = manifestKey(table, request.jobId, request.attempt);
    const body = this.kind.build(objects, request, this.options.settings);
    this.track(namespace);
    let main: T;
    try {
      main = await this.kind.create(this.options.api, namespace, body);
      this.options.logger?.info({ jobId: request.jobId, attempt: request.attempt, namespace, name }, `${this.kind.what} created`);
    } catch (error) {
      if (!isAlreadyExists(error)) throw this.launchError(namespace, name, error);
      main = await this.adopt(namespace, name, objects.labels);
      this.options.logger?.info({ jobId: request.jobId, attempt: request.attempt, namespace, name }, `${this.kind.what} adopted`);
    }
    // Owned by the main object, so they go with it; made again on adoption (a launch may have died in between).
    for (const companion of this.kind.companions(objects, request, this.kind.ownerOf(main))) {
      await this.options.api.createIfAbsent(companion.kind, namespace, companion.body);
    }
    return this.handleOf(main, request.attempt);
  }

  /** Reads only (ADR 0011): the run's outcome so far, with its live view (Spark's state, the links) beside it while its main object exists. */
  async status(handle: RunHandle, _options?: CallOptions): Promise<RunStatus> {
    const tomb = this.tombstones.get(handle.runId);
    if (tomb) return tomb;
    const { namespace, name } = parseRunId(handle.runId);
    const what = `${this.kind.what} ${namespace}/${name}`;
    // The informer's copy when it has one (as fresh as the watch, and no request); a miss is read from the API server.
    const main = this.informers.get(namespace)?.cached(namespace, name) ?? (await this.kind.get(this.options.api, namespace, name));
    if (!main) {
      return decideOutcome({ what, main: { present: false, deletedByOthers: this.deletedByOthers.has(handle.runId) }, committed: false }).status;
    }
    const state = this.kind.state(main);
    const pod = (await this.kind.driverPod(this.options.api, main)) as PodLike | undefined;
    const driver = driverView(pod, DRIVER_CONTAINER);
    const run = this.liveView(main, driver);
    const view: RunView = { what, main: { present: true, ...state }, driver, committed: false };
    let decision = decideOutcome(view);
    if (decision.status.phase !== 'pending' && decision.status.phase !== 'running') {
      // Only an ended run is looked up in the lake (and its log read): a live one costs two reads a poll.
      view.committed = await this.committed(main);
      if (!view.committed) view.logEnd = await this.logEnd(namespace, name, this.kind.driverPodName(main));
      decision = decideOutcome(view);
    } else if (decision.status.phase === 'pending' && decision.waitingFor) {
      return { phase: 'pending', waitingFor: decision.waitingFor, run };
    }
    return { ...decision.status, run };
  }

  /** Why a run that has not started waits (image pull, scheduling, events), for a failure's words; undefined when it is not waiting. */
  async waitingReason(handle: RunHandle): Promise<string | undefined> {
    const { namespace, name } = parseRunId(handle.runId);
    const main = await this.kind.get(this.options.api, namespace, name);
    if (!main) return undefined;
    const pod = (await this.kind.driverPod(this.options.api, main)) as PodLike | undefined;
    const words = decideOutcome({ what: name, main: { present: true, ...this.kind.state(main) }, driver: driverView(pod, DRIVER_CONTAINER), committed: false }).waitingFor;
    if (words) return words;
    const events = await this.options.api.eventsFor(namespace, 'Pod', this.kind.driverPodName(main));
    const warning = events.filter((event) => event.type === 'Warning').at(-1);
    return warning ? `${warning.reason}: ${warning.message}` : undefined;
  }

  async cancel(handle: RunHandle, options: CallOptions = {}): Promise<void> {
    const { namespace, name } = parseRunId(handle.runId);
    const main = await this.kind.get(this.options.api, namespace, name);
    if (!main || this.kind.isEnded(main)) return;
    const pod = (await this.kind.driverPod(this.options.api, main)) as PodLike | undefined;
    if (driverView(pod, DRIVER_CONTAINER)?.terminated) return; // ended; its application has yet to say so
    const reason = await this.waitingReason(handle).catch(() => undefined);
    this.options.logger?.info({ namespace, name, reason }, `cancelling ${this.kind.what}`);
    // A platform failure, as a killed local run reads: a job asked to cancel never reads its run's
    // status again, so the one who reads this end is a step that stopped the run at a stage
    // timeout and was cut short before it recorded the timeout (the deletion outlived the call,
    // or the API server blinked): 'cancelled' would fail that job for good instead of retrying it.
    await this.end(handle.runId, namespace, name, {
      phase: 'failed',
      failureClass: 'platform',
      message: `${this.kind.what} ${namespace}/${name} was stopped by Sluice (deleted)${reason ? ` while it waited: ${reason}` : ''}`,
      logTail: '',
    });
    await this.waitGone(namespace, name, options.signal);
  }

  async *logs(handle: RunHandle, options: LogOptions = {}): AsyncGenerator<string> {
    const { namespace, name } = parseRunId(handle.runId);
    const archived = await this.options.lake.read(archiveKey(namespace, name));
    if (archived) {
      const text = archived.toString('utf8');
      yield options.tail !== undefined ? lastLines(text, options.tail) : text;
      return;
    }
    const main = await this.kind.get(this.options.api, namespace, name);
    if (!main) return;
    const podName = this.kind.driverPodName(main);
    if (!this.options.settings.driverLogs) {
      // No log to read here: the driver's termination message is its last words.
      const message = driverView((await this.kind.driverPod(this.options.api, main)) as PodLike | undefined, DRIVER_CONTAINER)?.terminated?.message;
      if (message) yield options.tail !== undefined ? lastLines(message, options.tail) : message;
      return;
    }
    const text = await this.options.api.podLog(namespace, podName, DRIVER_CONTAINER, options.tail);
    if (text) yield text;
    if (!options.follow || options.signal?.aborted) return;
    const chunks: string[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const following = this.options.api
      .followPodLog(namespace, podName, DRIVER_CONTAINER, (chunk) => {
        chunks.push(chunk);
        wake?.();
      }, options.signal)
      .catch(() => undefined)
      .finally(() => {
        done = true;
        wake?.();
      });
    while (!done || chunks.length > 0) {
      if (chunks.length > 0) {
        yield chunks.splice(0).join('');
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await following;
  }

  watch(listener: LauncherListener): () => void {
    this.listeners.add(listener);
    for (const namespace of this.namespaces) this.track(namespace);
    return () => this.listeners.delete(listener);
  }

  async runsOf(jobId: string): Promise<RunHandle[]> {
    const handles: RunHandle[] = [];
    for (const namespace of this.namespaces) {
      let list;
      try {
        // The kind's selector, not just Sluice's: a native driver's executor pods carry its labels
        // and job annotation too, and are not runs (archiving one would overwrite its driver's log).
        list = await this.kind.list(this.options.api, namespace, jobSelector(jobId, this.kind.selector));
      } catch (error) {
        throw kubeError(`listing the runs of job ${jobId} in namespace ${namespace}`, error);
      }
      for (const main of list.items) {
        if (main.metadata?.annotations?.[ANNOTATIONS.jobId] !== jobId) continue;
        handles.push(this.handleOf(main, Number(main.metadata.labels?.[LABELS.attempt])));
      }
    }
    return handles.sort((a, b) => a.attempt - b.attempt);
  }

  /** Archives the driver log (when one can be read) and deletes the run with everything it owns. */
  async remove(handle: RunHandle): Promise<void> {
    const { namespace, name } = parseRunId(handle.runId);
    const main = await this.kind.get(this.options.api, namespace, name);
    if (main) await this.archiveLog(namespace, name, this.kind.driverPodName(main));
    await this.kind.delete(this.options.api, namespace, name, 'Background');
    this.tombstones.delete(handle.runId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await Promise.all([...this.informers.values()].map((informer) => informer.close()));
    this.informers.clear();
  }

  /** The informers, for tests of their restarts. */
  informerOf(namespace: string): RunInformer<T> | undefined {
    return this.informers.get(namespace);
  }

  private async adopt(namespace: string, name: string, labels: Record<string, string>): Promise<T> {
    const existing = await this.kind.get(this.options.api, namespace, name);
    if (!existing) throw new OperationalError(`${this.kind.what} ${namespace}/${name} existed a moment ago and is gone: launch again`);
    if (!labelsMatch(existing.metadata?.labels, labels)) {
      throw new ConfigError(
        `${this.kind.what} ${namespace}/${name} exists but is not this run's (its labels ${JSON.stringify(existing.metadata?.labels ?? {})} differ from ${JSON.stringify(labels)}): ` +
          'something else uses Sluice\'s names in this namespace; delete it or run Sluice in another namespace',
      );
    }
    return existing;
  }

  /** A refused create (forbidden, invalid) will not cure itself: it fails the job now, in the API server's words. */
  private launchError(namespace: string, name: string, error: unknown): Error {
    const status = statusOf(error);
    const what = `creating ${this.kind.what} ${namespace}/${name}`;
    if (status === 403 || status === 422 || status === 400) return new ConfigError(`${what}: ${apiMessage(error)}`, { cause: error });
    return kubeError(what, error);
  }

  private handleOf(main: T, attempt: number): RunHandle {
    const namespace = main.metadata!.namespace!;
    const name = main.metadata!.name!;
    const created = main.metadata?.creationTimestamp;
    return {
      launcher: this.name,
      runId: runIdOf(namespace, name),
      attempt,
      startedAt: created ? new Date(created).toISOString() : new Date(this.clock()).toISOString(),
      namespace,
      name,
      ...this.liveView(main),
    };
  }

  /**
   * What the main object shows of the run now: Spark's state and the links. A link whose
   * template needs the Spark application id is filled only once the operator gave one (after
   * the create): the job steps record it when a later status() brings it.
   */
  private liveView(main: T, driver?: DriverView): RunLiveView {
    const namespace = main.metadata!.namespace!;
    const name = main.metadata!.name!;
    const { appId } = this.kind.state(main);
    let { sparkState } = this.kind.state(main);
    // The driver's exit ends the run: the operator writes COMPLETED or FAILED from it a moment
    // later, and the pod's own watch event (which wakes the job) may come first. The state is
    // what the application is about to say, so that the job's last word on it is the end.
    if (driver?.terminated && !(sparkState && ENDED_APP_STATES.has(sparkState))) {
      sparkState = driver.terminated.exitCode === 0 ? 'COMPLETED' : 'FAILED';
    }
    const uiUrl = linkFrom(this.options.settings.uiUrl, { namespace, name, appId });
    const historyUrl = linkFrom(this.options.settings.historyUrl, { namespace, name, appId });
    return {
      ...(sparkState ? { sparkState } : {}),
      ...(uiUrl ? { uiUrl } : {}),
      ...(historyUrl ? { historyUrl } : {}),
    };
  }

  private async committed(main: T): Promise<boolean> {
    const key = main.metadata?.annotations?.[RUN_ANNOTATIONS.manifest];
    if (!key) return false;
    return (await this.options.lake.read(key)) !== undefined;
  }

  /** The end of the driver log: the lake's archive, or the pod's log where it can be read. */
  private async logEnd(namespace: string, name: string, podName: string): Promise<string | undefined> {
    const archived = await this.options.lake.read(archiveKey(namespace, name));
    if (archived) return lastLines(archived.toString('utf8'), FAILURE_SEARCH_LINES);
    if (!this.options.settings.driverLogs) return undefined;
    return (await this.options.api.podLog(namespace, podName, DRIVER_CONTAINER, FAILURE_SEARCH_LINES).catch(() => undefined)) || undefined;
  }

  /** Ends a run this launcher decided to end: remembered first (so status says it at once), then deleted. */
  private async end(runId: string, namespace: string, name: string, status: RunStatus): Promise<void> {
    if (this.tombstones.size >= MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
    this.tombstones.set(runId, status);
    await this.kind.delete(this.options.api, namespace, name, 'Foreground');
  }

  private async waitGone(namespace: string, name: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = this.clock() + CANCEL_WAIT_MS;
    while (!signal?.aborted && this.clock() < deadline) {
      if (!(await this.kind.get(this.options.api, namespace, name))) return;
      await sleep(this.options.cancelPollMs ?? 200, undefined, signal ? { signal } : undefined).catch(() => undefined);
    }
    if (!signal?.aborted) throw new OperationalError(`${this.kind.what} ${namespace}/${name} was not gone ${CANCEL_WAIT_MS} ms after its deletion`);
  }

  private async archiveLog(namespace: string, name: string, podName: string): Promise<void> {
    if (!this.options.settings.driverLogs) return;
    try {
      const log = await this.options.api.podLog(namespace, podName, DRIVER_CONTAINER, ARCHIVED_LOG_LINES);
      if (log) await this.options.lake.write(archiveKey(namespace, name), log);
    } catch (error) {
      this.options.logger?.warn({ namespace, name, err: apiMessage(error) }, 'could not archive the driver log');
    }
  }

  /** Starts the namespace's informer once. */
  private track(namespace: string): void {
    this.namespaces.add(namespace);
    if (this.closed || this.informers.has(namespace)) return;
    const informer = new RunInformer<T>({
      config: this.options.api.config,
      path: this.kind.watchPath(namespace),
      labelSelector: this.kind.selector,
      list: () => this.kind.list(this.options.api, namespace, this.kind.selector),
      isEnded: (main) => this.kind.isEnded(main),
      onEnd: (main, how) => void this.ended(main, how),
      resyncMs: this.options.settings.resyncMs,
      quietMs: this.options.settings.quietMs,
      logger: this.options.logger,
    });
    this.informers.set(namespace, informer);
    void informer.start();
  }

  private async ended(main: T, how: 'ended' | 'deleted'): Promise<void> {
    const namespace = main.metadata!.namespace!;
    const name = main.metadata!.name!;
    const runId = runIdOf(namespace, name);
    // A deleted object carries its deletion timestamp: whether its run had ended is read without it.
    const endedBefore = this.kind.isEnded({ ...main, metadata: { ...main.metadata, deletionTimestamp: undefined } });
    if (how === 'deleted' && !this.tombstones.has(runId) && !endedBefore) {
      if (this.deletedByOthers.size >= MAX_TOMBSTONES) this.deletedByOthers.delete(this.deletedByOthers.values().next().value!);
      this.deletedByOthers.add(runId);
    }
    if (how === 'ended' && !main.metadata?.deletionTimestamp) await this.archiveLog(namespace, name, this.kind.driverPodName(main));
    const jobId = main.metadata?.annotations?.[ANNOTATIONS.jobId];
    const attempt = Number(main.metadata?.labels?.[LABELS.attempt]);
    if (!jobId || !Number.isInteger(attempt)) return;
    for (const listener of this.listeners) {
      try {
        listener.ended({ jobId, attempt, runId });
      } catch (error) {
        this.options.logger?.error({ runId, err: error }, 'launcher listener failed');
      }
    }
  }
}

/** Where a run's driver log is archived in the lake: it outlives the pod's garbage collection. */
export function archiveKey(namespace: string, name: string): string {
  return `_logs/k8s/${namespace}/${name}/driver.log`;
}
