// One local run's directory, `<runsDir>/<runId>/`: the only channel between the broker and
// the detached supervisor of the run, so that any broker process (the one that launched
// the run or one started later) reads the same truth. Files:
//   spec.json   the run spec, written before the supervisor starts
//   pid_start   the supervisor's start time (process-start.ts), written first by it, so
//               that a pid file always has one beside it (one without is from an older broker)
//   pid         the supervisor's pid (its process group id too), written next
//   exit_code   spark-submit's exit code, written last by the supervisor (by cancel() when its
//               SIGKILL killed the supervisor too)
//   driver.log  spark-submit's stdout and stderr
//   cancelled   written by cancel(): a supervisor that has not started spark-submit yet never will
// Every file is written once and atomically (temp + rename): a reader sees it whole or not at all.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissingFile } from '../core/errors.ts';

export const RUN_FILES = {
  spec: 'spec.json',
  pidStart: 'pid_start',
  pid: 'pid',
  exitCode: 'exit_code',
  log: 'driver.log',
  cancelled: 'cancelled',
} as const;

export class RunDir {
  constructor(readonly path: string) {}

  file(name: (typeof RUN_FILES)[keyof typeof RUN_FILES]): string {
    return join(this.path, name);
  }

  readPid(): Promise<number | undefined> {
    return this.readInteger(RUN_FILES.pid);
  }

  /** The supervisor's start time, as /proc shows it; undefined when it was not recorded. */
  async readPidStart(): Promise<string | undefined> {
    const text = await this.readText(RUN_FILES.pidStart);
    return text === undefined || !/^\d+$/.test(text.trim()) ? undefined : text.trim();
  }

  readExitCode(): Promise<number | undefined> {
    return this.readInteger(RUN_FILES.exitCode);
  }

  /** Written by the supervisor, or by cancel() for a supervisor its SIGKILL killed. */
  async writeExitCode(code: number): Promise<void> {
    const target = this.file(RUN_FILES.exitCode);
    await writeFile(`${target}.tmp`, `${code}\n`);
    await rename(`${target}.tmp`, target);
  }

  async writeSpec(spec: unknown): Promise<void> {
    const target = this.file(RUN_FILES.spec);
    await writeFile(`${target}.tmp`, `${JSON.stringify(spec, null, 2)}\n`);
    await rename(`${target}.tmp`, target);
  }

  /** Leaves the cancel marker; false when the run directory does not exist. */
  async markCancelled(): Promise<boolean> {
    try {
      await writeFile(this.file(RUN_FILES.cancelled), '');
      return true;
    } catch (error) {
      if (isMissingFile(error)) return false;
      throw error;
    }
  }

  /** When the run started: the time its spec was written (stable, so an adopter sees the same). */
  async startedAt(): Promise<Date | undefined> {
    return (await statIfExists(this.file(RUN_FILES.spec)))?.mtime ?? (await statIfExists(this.path))?.mtime;
  }

  /** The last change to the directory's entries (ms), or undefined when it does not exist. */
  async changedAt(): Promise<number | undefined> {
    return (await statIfExists(this.path))?.mtimeMs;
  }

  private async readText(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.path, name), 'utf8');
    } catch (error) {
      if (isMissingFile(error)) return undefined;
      throw error;
    }
  }

  private async readInteger(name: string): Promise<number | undefined> {
    const text = await this.readText(name);
    if (text === undefined) return undefined;
    const value = Number.parseInt(text.trim(), 10);
    if (!Number.isInteger(value)) throw new Error(`run file ${join(this.path, name)} holds "${text.trim()}", not an integer`);
    return value;
  }
}

async function statIfExists(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw error;
  }
}
