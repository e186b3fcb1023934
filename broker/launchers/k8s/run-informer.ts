// One informer per namespace for the runs a launcher made there: a watch of the main objects
// (SparkApplications, or driver pods) with Sluice's label selector, kept alive by this class.
// The client's ListWatch re-lists by itself on 410 Gone; this class also restarts it with
// backoff when it stops on an error (an API server restart, a dropped connection), restarts it
// when it has been quiet too long (a watch can hang without an error), and lists everything
// again every `resyncMs` whatever the watch says. A main object seen to end (or vanish) is
// reported once, at once, so that the job waiting on it need not wait for its next poll.
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type RunInformerOptions<T extends KubernetesObject> = {
  config: KubeConfig;
  /** The watched collection, e.g. /apis/sparkoperator.k8s.io/v1beta2/namespaces/ns/sparkapplications. */
  path: string;
  labelSelector: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** Whether the object shows its run ended (the watch reports it then). */
  isEnded: (object: T) => boolean;
  /** A run ended, or its main object went away: called once per object. */
  onEnd: (object: T, how: 'ended' | 'deleted') => void;
  resyncMs: number;
  quietMs: number;
  logger?: Logger | undefined;
};

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class RunInformer<T extends KubernetesObject> {
  private informer: (Informer<T> & ObjectCache<T>) | undefined;
  /** Objects (by uid) whose end was reported or seen at the first list. */
  private readonly ended = new Set<string>();
  private lastHeard = Date.now();
  private backoffMs = BACKOFF_INITIAL_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly resyncTimer: NodeJS.Timeout;
  private readonly quietTimer: NodeJS.Timeout;
  private closed = false;
  /** Set once the first list is in: ends already in it are old news (the job's poll sees them). */
  private primed = false;
  /** How many times the watch was (re)started: for tests and logs. */
  starts = 0;

  constructor(private readonly options: RunInformerOptions<T>) {
    this.resyncTimer = setInterval(() => void this.resync(), options.resyncMs);
    this.resyncTimer.unref();
    this.quietTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > options.quietMs) {
        options.logger?.warn({ path: options.path }, 'kubernetes watch quiet too long; restarting it');
        this.restart(0);
      }
    }, Math.max(1_000, Math.min(options.quietMs / 2, 60_000)));
    this.quietTimer.unref();
  }

  /** Starts the watch; resolves once its first list is in (or it failed: the restart loop carries on). */
  async start(): Promise<void> {
    await this.startWatch();
  }

  /** The object as the watch last saw it; undefined until the first list is in, or when the informer has none of that name. */
  cached(namespace: string, name: string): T | undefined {
    return this.primed ? this.informer?.get(name, namespace) : undefined;
  }

  /** The objects the informer holds now. */
  objects(): readonly T[] {
    return this.informer?.list() ?? [];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.resyncTimer);
    clearInterval(this.quietTimer);
    clearTimeout(this.restartTimer);
    await this.informer?.stop().catch(() => undefined);
    this.informer = undefined;
  }

  private async startWatch(): Promise<void> {
    if (this.closed) return;
    const { options } = this;
    const informer = makeInformer<T>(options.config, options.path, options.list, options.labelSelector);
    this.informer = informer;
    this.starts += 1;
    const heard = (): void => {
      this.lastHeard = Date.now();
    };
    informer.on('add', (object) => this.seen(object, heard));
    informer.on('update', (object) => this.seen(object, heard));
    informer.on('delete', (object) => {
      heard();
      this.report(object, 'deleted');
    });
    informer.on('connect', () => {
      heard();
      this.backoffMs = BACKOFF_INITIAL_MS;
    });
    informer.on('error', (error: unknown) => {
      if (this.closed || this.informer !== informer) return;
      options.logger?.warn({ path: options.path, err: error instanceof Error ? error.message : String(error) }, 'kubernetes watch failed; restarting it');
      this.restart(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    });
    try {
      await informer.start();
      this.prime(informer.list());
    } catch (error) {
      options.logger?.warn({ path: options.path, err: error instanceof Error ? error.message : String(error) }, 'kubernetes watch could not start; retrying');
      this.restart(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    }
  }

  private restart(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      const old = this.informer;
      this.informer = undefined;
      void (old?.stop() ?? Promise.resolve()).catch(() => undefined).then(() => this.startWatch());
    }, delayMs);
    this.restartTimer.unref();
  }

  private prime(objects: readonly T[]): void {
    if (this.primed) return;
    this.primed = true;
    for (const object of objects) if (this.options.isEnded(object)) this.ended.add(uidOf(object));
  }

  private seen(object: T, heard: () => void): void {
    heard();
    if (this.options.isEnded(object)) this.report(object, 'ended');
  }

  private report(object: T, how: 'ended' | 'deleted'): void {
    const uid = uidOf(object);
    if (this.ended.has(uid)) {
      if (how === 'deleted') this.ended.delete(uid);
      return;
    }
    if (how === 'ended') this.ended.add(uid);
    if (!this.primed && how === 'ended') return;
    try {
      this.options.onEnd(object, how);
    } catch (error) {
      this.options.logger?.error({ err: error }, 'run informer listener failed');
    }
  }

  /** The periodic re-list: ends the watch missed are reported from it. */
  private async resync(): Promise<void> {
    if (this.closed) return;
    try {
      const list = await this.options.list();
      this.lastHeard = Date.now();
      for (const object of list.items) if (this.options.isEnded(object)) this.report(object, 'ended');
    } catch (error) {
      this.options.logger?.warn({ path: this.options.path, err: error instanceof Error ? error.message : String(error) }, 'kubernetes re-list failed');
    }
  }
}

const uidOf = (object: KubernetesObject): string => object.metadata?.uid ?? `${object.metadata?.namespace}/${object.metadata?.name}`;
