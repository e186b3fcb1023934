// Stops a server the harness started: sends `signal` and waits for the exit, with SIGKILL
// after `graceMs` so that a hung server cannot hang the tests.
import type { ChildProcess } from 'node:child_process';

export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}
