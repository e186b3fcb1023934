// Which runs directory the local launcher may use, cluster-wide. A local run lives in a
// directory on one machine (or one shared volume); a worker that does not see that directory
// cannot adopt, watch or stop the run, and would start a second one. So every worker with the
// local launcher must share one SLUICE_RUNS_DIR, and this lease in Redis says which: the
// first worker records its runs directory's identity (a random id kept in the directory
// itself, so two paths to one directory, a symlink or a volume mounted on two hosts, are one),
// refreshes it while it runs, and a worker whose directory has another identity refuses to
// start, naming both. The lease lapses TTL after the last worker of its directory stops.
// The lease also names the process space of its holders (boot id and PID namespace): a run's
// life is read from its pid, which only processes of one machine and one PID namespace can
// read, so a worker in another pod or on another machine is refused even with the same
// (ReadWriteMany) directory. A worker that finds the lease held waits up to one TTL for it to
// lapse before it refuses: the pod it replaces, or its own crashed container, held it.
// See docs/adr/0010-local-run-ownership.md.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConfigError, OperationalError } from '../core/errors.ts';

/** The one Redis call the lease makes (ioredis's `eval`). */
export interface LeaseRedis {
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

export type RunsDirLeaseOptions = {
  redis: LeaseRedis;
  /** The lease's key (redis-keys.ts `localRunsLease`). */
  key: string;
  runsDir: string;
  /** This machine's name, for the message another worker shows; os.hostname() when absent. */
  host?: string;
  /** Where this worker's pids mean something (processSpace()); tests give their own. */
  space?: string;
  ttlMs?: number;
  refreshMs?: number;
  logger?: Logger;
};

/** What the lease records about its holder; `id` and `space` decide, the rest is for the message. */
export type LeaseHolder = { id: string; space: string; host: string; runsDir: string };

/** The identity file in a runs directory (not a run id: the launcher skips it). */
export const RUNS_ID_FILE = '.sluice-runs-id';

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_REFRESH_MS = 10_000;

/**
 * Takes or renews the lease. KEYS[1]: the lease hash {id, space, host, runsDir}. ARGV: id,
 * space, host, runsDir, ttl (ms). Free or ours (same directory, same process space):
 * (re)written with the TTL, returns an empty list. Held otherwise: unchanged, returns the
 * holder's fields (HGETALL, flat).
 */
const TAKE_SCRIPT = `
local holder = redis.call('HMGET', KEYS[1], 'id', 'space')
if holder[1] == false or (holder[1] == ARGV[1] and (holder[2] == false or holder[2] == ARGV[2])) then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'space', ARGV[2], 'host', ARGV[3], 'runsDir', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {}
end
return redis.call('HGETALL', KEYS[1])
`;

/**
 * Where this process's pids mean something: the machine's boot id and this process's PID
 * namespace. Two workers with the same value can read each other's run pids; a pod of its own
 * (a PID namespace of its own) or another machine cannot.
 */
export async function processSpace(): Promise<string> {
  const bootId = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((text) => text.trim(), () => hostname());
  const pidNamespace = await readlink('/proc/self/ns/pid').catch(() => 'pid:[unknown]');
  return `${bootId}/${pidNamespace}`;
}

export class RunsDirLease {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** When the lease was last confirmed ours (ms), and by whom it is held when it is not. */
  private confirmedAt: number;
  private holder: LeaseHolder | undefined;

  private constructor(
    private readonly options: RunsDirLeaseOptions,
    private readonly me: LeaseHolder,
    private readonly ttlMs: number,
  ) {
    this.confirmedAt = Date.now();
  }

  /**
   * Takes the lease for `runsDir` (creating the directory and its identity when new) and keeps
   * it; throws ConfigError, naming both directories and SLUICE_RUNS_DIR, when another runs
   * directory holds it.
   */
  static async acquire(options: RunsDirLeaseOptions): Promise<RunsDirLease> {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    const me = { id: await runsDirId(options.runsDir), space: options.space ?? (await processSpace()), host: options.host ?? hostname(), runsDir: await realpath(options.runsDir) };
    const lease = new RunsDirLease(options, me, ttlMs);
    // A holder that stopped (the pod this one replaces, this container before it crashed)
    // lets its lease lapse within a TTL: wait that long before refusing.
    const deadline = Date.now() + ttlMs + Math.min(ttlMs, 2_000);
    let holder = await lease.take();
    if (holder) options.logger?.info({ runsDir: me.runsDir, holderRunsDir: holder.runsDir, holderHost: holder.host, waitMs: deadline - Date.now() }, 'local runs lease held elsewhere; waiting for it to lapse');
    while (holder && Date.now() < deadline) {
      await sleep(Math.min(1_000, Math.max(50, deadline - Date.now())));
      holder = await lease.take();
    }
    if (holder) throw new ConfigError(conflictMessage(me, holder, ttlMs));
    lease.confirmedAt = Date.now();
    lease.timer = setInterval(() => void lease.refresh(), options.refreshMs ?? DEFAULT_REFRESH_MS);
    lease.timer.unref();
    return lease;
  }

  /** Throws when this worker may not start a run now: another runs directory took the lease, or it could not be renewed for a whole TTL. */
  check(): void {
    if (this.holder) throw new OperationalError(conflictMessage(this.me, this.holder, this.ttlMs));
    if (Date.now() - this.confirmedAt > this.ttlMs) {
      throw new OperationalError(`the local runs lease of ${this.me.runsDir} could not be renewed for ${this.ttlMs} ms (is Redis reachable?)`);
    }
  }

  /** Stops renewing. The lease is left to lapse, not deleted: other workers of the same directory may hold it still. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }

  /** Renews the lease once (the timer calls it; one at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.renew().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    try {
      const holder = await this.take();
      if (holder && !this.holder) {
        this.options.logger?.error({ runsDir: this.me.runsDir, holderRunsDir: holder.runsDir, holderHost: holder.host }, 'local runs lease taken by another runs directory; no new local runs here');
      }
      this.holder = holder;
      if (!holder) this.confirmedAt = Date.now();
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, 'could not renew the local runs lease; will try again');
    }
  }

  /** Takes or renews; the other holder when it is not ours. */
  private async take(): Promise<LeaseHolder | undefined> {
    const { id, space, host, runsDir } = this.me;
    const reply = (await this.options.redis.eval(TAKE_SCRIPT, 1, this.options.key, id, space, host, runsDir, String(this.ttlMs))) as string[];
    if (reply.length === 0) return undefined;
    const fields: Record<string, string> = {};
    for (let index = 0; index + 1 < reply.length; index += 2) fields[reply[index]!] = reply[index + 1]!;
    return { id: fields.id ?? '', space: fields.space ?? '', host: fields.host ?? 'unknown', runsDir: fields.runsDir ?? 'unknown' };
  }
}

/**
 * The runs directory's identity: made once, then read. Written to a file of its own and
 * linked into place: link() fails when the name exists, so of two first workers one wins and
 * neither can read the other's half-written file.
 */
async function runsDirId(runsDir: string): Promise<string> {
  await mkdir(runsDir, { recursive: true });
  const file = join(runsDir, RUNS_ID_FILE);
  const draft = `${file}.${randomUUID()}.tmp`;
  await writeFile(draft, `${randomUUID()}\n`);
  try {
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(draft, { force: true });
  }
  const id = (await readFile(file, 'utf8')).trim();
  if (!id) throw new ConfigError(`${file} is empty: delete it and start the worker again (SLUICE_RUNS_DIR=${runsDir})`);
  return id;
}

function conflictMessage(me: LeaseHolder, holder: LeaseHolder, ttlMs: number): string {
  if (holder.id === me.id) {
    return (
      `SLUICE_RUNS_DIR=${me.runsDir} is in use by a worker on host ${holder.host} in another pod or on another machine. ` +
      'The local launcher (local Spark and the embedded engine) follows a run by its pid, which only workers of one machine and one PID namespace can read: ' +
      'another pod would take a live run for lost and start it again. Run one worker replica for pipelines that run locally ' +
      '(worker.replicas: 1 in the Helm chart), or give the pipelines a Kubernetes launcher and engine.kind: spark; ' +
      `the lease lapses ${Math.round(ttlMs / 1_000)} s after that worker stops.`
    );
  }
  return (
    `SLUICE_RUNS_DIR=${me.runsDir} on host ${me.host} is not the runs directory the other workers use: ` +
    `${holder.runsDir} on host ${holder.host} holds the local launcher's runs lease. ` +
    'Every worker with the local launcher must share one SLUICE_RUNS_DIR (the same directory: one host, or one shared volume), ' +
    `or a run could be started twice; the lease lapses ${Math.round(ttlMs / 1_000)} s after the last worker of that directory stops.`
  );
}
