// Starts a real MinIO server on a free port in its own folder, with a random root user and
// password, offline (no console, no update check, no call-home). The binary is the one
// scripts/setup builds from the Go module proxy at the version pinned in
// scripts/versions.env, found in the same cache folder. Used by the integration tests,
// the benchmarks and `make demo`; never a shared instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client, type S3Settings } from '../../broker/lake/s3-storage.ts';
import { minioBinaryPath } from '../../broker/tool-cache.ts';
import { freePort } from './free-port.ts';
import { ChildServer } from './child-server.ts';

export type MinioOptions = {
  /** Folder for the data (`data/`) and the log (`minio.log`); a new temporary folder when absent. */
  dir?: string;
  port?: number;
};

/** Where scripts/setup puts the MinIO binary: $CACHE/minio-<version>/minio, CACHE as in scripts/setup. */
export function minioBinary(): string {
  return minioBinaryPath(process.env);
}

export class MinioServer extends ChildServer {
  protected readonly stopSignal = 'SIGTERM';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly consolePort: number,
    readonly accessKeyId: string,
    private readonly secret: string,
  ) {
    super();
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What createS3Storage / openLake need to reach this server. */
  get settings(): S3Settings {
    return { endpoint: this.endpoint, region: 'us-east-1', accessKeyId: this.accessKeyId, secretAccessKey: this.secret, forcePathStyle: true };
  }

  get logFile(): string {
    return join(this.dir, 'minio.log');
  }

  static async start(options: MinioOptions = {}): Promise<MinioServer> {
    const binary = minioBinary();
    if (!existsSync(binary)) throw new Error(`MinIO is not built at ${binary}: run scripts/setup (it builds the version pinned in scripts/versions.env)`);
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-minio-')));
    await mkdir(join(dir, 'data'), { recursive: true });
    const port = options.port ?? (await freePort());
    let consolePort = await freePort();
    while (consolePort === port) consolePort = await freePort();
    const server = new MinioServer(dir, port, consolePort, `sluice-${randomBytes(6).toString('hex')}`, randomBytes(24).toString('hex'));
    server.ownsDir = options.dir === undefined;
    await server.spawn();
    return server;
  }

  protected async spawn(): Promise<void> {
    const log = await open(this.logFile, 'a');
    const args = ['server', '--address', `127.0.0.1:${this.port}`, '--console-address', `127.0.0.1:${this.consolePort}`, join(this.dir, 'data')];
    let child: ChildProcess;
    try {
      child = spawn(minioBinary(), args, {
        stdio: ['ignore', log.fd, log.fd],
        env: {
          PATH: process.env.PATH,
          HOME: this.dir,
          MINIO_ROOT_USER: this.accessKeyId,
          MINIO_ROOT_PASSWORD: this.secret,
          MINIO_BROWSER: 'off', // no web console
          MINIO_UPDATE: 'off', // no update check against dl.min.io
          MINIO_CALLHOME_ENABLE: 'off',
          // Test mode: no root-drive refusal for a folder on the system disk, a small buffer pool.
          MINIO_CI_CD: 'on',
        },
      });
    } finally {
      await log.close(); // the child holds its own copy of the descriptor
    }
    this.process = child;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`minio did not start: ${error.message}`)));
      child.once('exit', (code, signal) => reject(new Error(`minio exited with ${signal ?? `code ${code}`}; see ${this.logFile}`)));
    });
    try {
      await Promise.race([this.waitForLive(), failed]);
    } catch (error) {
      await this.stop();
      throw error;
    }
    child.removeAllListeners('exit');
  }

  /** Live and initialized: /minio/health/live answers 200 before the object layer is up, flagging that with x-minio-server-status: offline. */
  private async waitForLive(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${this.endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        if (response.ok && response.headers.get('x-minio-server-status') !== 'offline') return;
      } catch {
        // refused while the server starts: expected
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`minio on port ${this.port} was not live within 30 s; see ${this.logFile}`);
  }

  async createBucket(name: string): Promise<void> {
    const client = createS3Client(this.settings);
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }
}
