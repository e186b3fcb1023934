// Starts a real PostgreSQL (Debian's `postgresql` package) in its own temporary folder on a
// free port, with a password login, for the sink tests, the benchmark and `make demo`.
// PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
// `postgres` user that Debian's package creates, in a folder given to it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, openSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { ChildServer } from './child-server.ts';

export type PostgresOptions = {
  /** Folder for the cluster and its log; a new temporary folder when absent. */
  dir?: string;
  port?: number;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
};

const USER = 'sluice';
const DATABASE = 'sluice';

/** Debian installs the server binaries under /usr/lib/postgresql/<major>/bin, outside PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const major of majors) if (existsSync(join(root, major, 'bin', 'initdb'))) return join(root, major, 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL server binaries not found (is Debian\'s postgresql installed? scripts/setup installs it)');
  }
}

/** The uid/gid to run the server as: ours, or `postgres` when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * `preferred` when the server's user can reach the folder it sits in; otherwise a folder of
 * its own under the system's temporary folder. Run as root from a clone under /root (mode
 * 700), the `postgres` user cannot reach the project folder, and initdb failed: a fresh
 * machine's `make demo` stopped there.
 */
export function postgresFolder(preferred: string): { dir: string; moved: boolean } {
  const user = serverUser();
  // The nearest folder that exists yet (a fresh clone has no .sluice/demo): those made below it are made open (umask 022).
  let parent = dirname(preferred);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (!user || spawnSync('test', ['-x', parent], { uid: user.uid, gid: user.gid }).status === 0) return { dir: preferred, moved: false };
  const tag = createHash('sha256').update(preferred).digest('hex').slice(0, 12);
  return { dir: join(tmpdir(), `sluice-postgres-${tag}`), moved: true };
}

export class PostgresServer extends ChildServer {
  protected readonly stopSignal = 'SIGINT';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
    private readonly args: string[],
    private readonly user: { uid: number; gid: number } | undefined,
  ) {
    super();
  }

  /** A URL for `database` (default: the server's own "sluice" database). */
  url(database = DATABASE, password = this.password): string {
    return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Environment for psql and other libpq clients. */
  clientEnv(database = DATABASE): Record<string, string> {
    return { PGHOST: '127.0.0.1', PGPORT: String(this.port), PGUSER: USER, PGPASSWORD: this.password, PGDATABASE: database };
  }

  static async start(options: PostgresOptions = {}): Promise<PostgresServer> {
    const bin = postgresBinDir();
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-pg-')));
    const data = join(dir, 'data');
    const sockets = join(dir, 'sockets');
    await mkdir(sockets, { recursive: true });
    const user = serverUser();
    const password = randomBytes(12).toString('hex');
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (user) {
      for (const path of [dir, sockets, passwordFile]) await chown(path, user.uid, user.gid);
    }
    if (!existsSync(join(data, 'PG_VERSION'))) {
      try {
        execFileSync(join(bin, 'initdb'), ['-D', data, '-U', USER, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C', '--no-sync'], {
          stdio: 'pipe',
          ...(user ?? {}),
        });
      } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
        const hint = user ? ` (the server runs as user postgres: every folder above ${dir} must be open to it)` : '';
        throw new Error(`initdb failed: ${stderr ?? (error as Error).message}${hint}`);
      }
    }
    const port = options.port ?? (await freePort());
    const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: sockets, max_connections: '50', ...options.settings };
    const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    const server = new PostgresServer(dir, port, password, [join(bin, 'postgres'), ...args], user);
    server.ownsDir = options.dir === undefined;
    await server.spawn();
    await server.query(`CREATE DATABASE ${DATABASE}`, 'postgres').catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // already there: a restarted folder
    });
    return server;
  }

  protected async spawn(): Promise<void> {
    const log = openSync(join(this.dir, 'postgres.log'), 'a');
    if (this.user) execFileSync('chown', [`${this.user.uid}:${this.user.gid}`, join(this.dir, 'postgres.log')]);
    const [command, ...args] = this.args;
    const child = spawn(command!, args, { stdio: ['ignore', log, log], ...(this.user ?? {}) });
    this.process = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`postgres did not start: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`postgres exited with code ${code}; see ${join(this.dir, 'postgres.log')}`)));
    });
    await Promise.race([this.waitForReady(), failed]);
    child.removeAllListeners('exit');
  }

  private async waitForReady(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        await this.query('SELECT 1', 'postgres');
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`postgres on port ${this.port} did not answer within 30 s`);
  }

  /** Runs one statement on a fresh connection and returns its rows. */
  async query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, database = DATABASE, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /**
   * Another session, in a transaction that has run `statement` (a lock, a long read), until
   * `end()` (once, however often called) rolls it back.
   */
  async holding(statement: string, database = DATABASE): Promise<{ end: () => Promise<void> }> {
    const holder = new pg.Client({ connectionString: this.url(database) });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(statement);
    let ended: Promise<void> | undefined;
    return { end: () => (ended ??= holder.query('ROLLBACK').then(() => holder.end())) };
  }

  /** A new, empty database, so that tests sharing a server do not see each other's tables. */
  async createDatabase(name: string): Promise<string> {
    await this.query(`CREATE DATABASE ${name}`, 'postgres');
    return this.url(name);
  }

}
