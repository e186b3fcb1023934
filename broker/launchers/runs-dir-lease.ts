// Which runs directory the local launcher may use, cluster-wide. A local run lives in a
// directory on one machine (or one shared volume); a worker that does not see that directory
// cannot adopt, watch or stop the run, and would start a second one. So every worker with the
// local launcher must share one SLUICE_RUNS_DIR, and this lease in Redis says which: the
// first worker records its runs directory's identity (a random id kept in the directory
// itself, so two paths to one directory, a symlink or a volume mounted on two hosts, are one),
// refreshes it while it runs, and a worker whose directory has another identity refuses to
// start, naming both. The lease lapses TTL after the last worker of its directory stops.
// See docs/adr/0010-local-run-ownership.md.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
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
  ttlMs?: number;
  refreshMs?: number;
  logger?: Logger;
};

/** What the lease records about its holder; `id` decides, the rest is for the message. */
export type LeaseHolder = { id: string; host: string; runsDir: string };

/** The identity file in a runs directory (not a run id: the launcher skips it). */
export const RUNS_ID_FILE = '.sluice-runs-id';

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_REFRESH_MS = 10_000;

/**
 * Takes or renews the lease. KEYS[1]: the lease hash {id, host, runsDir}. ARGV: id, host,
 * runsDir, ttl (ms). Free or ours: (re)written with the TTL, returns an empty list. Held by
 * another directory: unchanged, returns the holder's fields (HGETALL, flat).
 */
const TAKE_SCRIPT = `
local holder = redis.call('HGET', KEYS[1], 'id')
if holder == false or holder == ARGV[1] then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'host', ARGV[2], 'runsDir', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {}
end
return redis.call('HGETALL', KEYS[1])
`;

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
    const me = { id: await runsDirId(options.runsDir), host: options.host ?? hostname(), runsDir: await realpath(options.runsDir) };
    const lease = new RunsDirLease(options, me, ttlMs);
    const holder = await lease.take();
    if (holder) throw new ConfigError(conflictMessage(me, holder, ttlMs));
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
    const { id, host, runsDir } = this.me;
    const reply = (await this.options.redis.eval(TAKE_SCRIPT, 1, this.options.key, id, host, runsDir, String(this.ttlMs))) as string[];
    if (reply.length === 0) return undefined;
    const fields: Record<string, string> = {};
    for (let index = 0; index + 1 < reply.length; index += 2) fields[reply[index]!] = reply[index + 1]!;
    return { id: fields.id ?? '', host: fields.host ?? 'unknown', runsDir: fields.runsDir ?? 'unknown' };
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
  return (
    `SLUICE_RUNS_DIR=${me.runsDir} on host ${me.host} is not the runs directory the other workers use: ` +
    `${holder.runsDir} on host ${holder.host} holds the local launcher's runs lease. ` +
    'Every worker with the local launcher must share one SLUICE_RUNS_DIR (the same directory: one host, or one shared volume), ' +
    `or a run could be started twice; the lease lapses ${Math.round(ttlMs / 1_000)} s after the last worker of that directory stops.`
  );
}
