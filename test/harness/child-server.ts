// What the harness's servers (Redis, MinIO, PostgreSQL) share: one child process, stopped
// with the server's own clean-shutdown signal (SIGKILL after a grace period, so a hung server
// cannot hang the tests), and restarted on the same port and folder.
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

const STOP_GRACE_MS = 10_000;

export abstract class ChildServer {
  protected process: ChildProcess | undefined;
  /** The server's folder (data, log, configuration). */
  abstract readonly dir: string;
  /** Whether start() made `dir` (it was given none): then destroy() removes it. */
  protected ownsDir = false;

  /** SIGTERM for Redis (AOF flushed) and MinIO; SIGINT for PostgreSQL (fast shutdown). */
  protected abstract readonly stopSignal: NodeJS.Signals;

  /** Starts the process and resolves once the server answers. */
  protected abstract spawn(): Promise<void>;

  /** Stops the server and waits for it to exit; its data stays. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill(this.stopSignal);
    });
  }

  /** Stops the server and removes its folder when start() made it (a folder it was given stays). */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Stops, stays down for `downForMs`, and starts again on the same port and folder. */
  async restart(downForMs = 0): Promise<void> {
    await this.stop();
    if (downForMs > 0) await new Promise((resolve) => setTimeout(resolve, downForMs));
    await this.spawn();
  }
}
