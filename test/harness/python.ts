// Runs the project's Python (.venv, made by scripts/setup) for test data and test oracles.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PYTHON = resolve('.venv/bin/python');

export async function python(args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Runs a Python snippet with `args` in sys.argv[1:] and returns its stdout parsed as JSON. */
export async function pythonJson<T>(code: string, args: string[] = []): Promise<T> {
  return JSON.parse(await python(['-c', code, ...args])) as T;
}
