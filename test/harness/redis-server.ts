// Starts a real redis-server (Debian's) on a free port in its own folder, with AOF on and
// noeviction, as Sluice requires. Used by the integration tests, the benchmarks and
// `make demo`; never a shared instance.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { ChildServer } from './child-server.ts';

export type RedisOptions = {
  /** Folder for redis.conf, the AOF and the log; a new temporary folder when absent. */
  dir?: string;
  port?: number;
  /** Override settings, e.g. { appendonly: 'no' } to test the start-up check. */
  settings?: Record<string, string>;
};

export class RedisServer extends ChildServer {
  protected readonly stopSignal = 'SIGTERM';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    super();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-redis-')));
    await mkdir(dir, { recursive: true });
    const port = options.port ?? (await freePort());
    const settings: Record<string, string> = {
      port: String(port),
      bind: '127.0.0.1',
      dir,
      appendonly: 'yes',
      // Redis's own default with AOF: a killed Redis process loses nothing (the OS has the
      // writes); a lost machine may lose the last second. `always` closes that gap at ~2 ms
      // per write on this kind of disk (docs/adr/0008-redis-fsync.md).
      appendfsync: 'everysec',
      'maxmemory-policy': 'noeviction',
      save: '""',
      logfile: join(dir, 'redis.log'),
      daemonize: 'no',
      ...options.settings,
    };
    await writeFile(join(dir, 'redis.conf'), Object.entries(settings).map(([k, v]) => `${k} ${v}`).join('\n') + '\n');
    const server = new RedisServer(dir, port);
    server.ownsDir = options.dir === undefined;
    await server.spawn();
    return server;
  }

  protected async spawn(): Promise<void> {
    const child = spawn('redis-server', [join(this.dir, 'redis.conf')], { stdio: 'ignore' });
    this.process = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`redis-server did not start (is Debian's redis-server installed? scripts/setup installs it): ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}; see ${join(this.dir, 'redis.log')}`)));
    });
    await Promise.race([this.waitForPing(), failed]);
    child.removeAllListeners('exit');
  }

  private async waitForPing(): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // refused while the server starts: expected
      try {
        await client.connect();
        await client.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        client.disconnect();
      }
    }
    throw new Error(`redis-server on port ${this.port} did not answer within 15 s`);
  }

}
