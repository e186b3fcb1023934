// Which process a recorded pid names. Pids are reused: a run's supervisor that died long ago
// may have left a pid that now belongs to an unrelated process, which must neither read as
// the run going on nor ever be signalled. A process is therefore recorded as its pid plus its
// start time, field 22 of /proc/<pid>/stat (clock ticks since boot), which no later holder of
// the same pid can share. Linux only; elsewhere no start time is recorded and a pid alone is
// trusted, as before.
import { readFile } from 'node:fs/promises';
import { isMissingFile } from '../core/errors.ts';

/** What a recorded supervisor is now: still that process, gone, or its pid taken by another process. */
export type RecordedProcess = 'alive' | 'gone' | 'replaced';

/**
 * A process's start time as /proc shows it (a decimal string), or undefined when no such
 * process exists or it has exited and waits, a zombie, for a parent to reap it: a supervisor
 * orphaned to a PID 1 that reaps no one (a container's Node, some VMs' init) would otherwise
 * read as alive for good once it died.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // ESRCH shows up for a process that exits while its file is being read.
    if (isMissingFile(error) || (error as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw error;
  }
  const state = statField(stat, 3);
  return state === 'Z' || state === 'X' ? undefined : startTimeOf(stat);
}

/**
 * Field `n` (from 3) of a /proc/<pid>/stat line: 3 is the state (R, S, D, Z for a zombie, X
 * for dead), 22 the start time. The command name (field 2) is in parentheses and may itself
 * hold spaces and parentheses, so fields are counted from the last ")".
 */
function statField(stat: string, n: number): string | undefined {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ')[n - 3];
}

/** Field 22 of a /proc/<pid>/stat line (statField), when it is a number. */
export function startTimeOf(stat: string): string | undefined {
  const value = statField(stat, 22);
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

/**
 * Whether `pid`, recorded with `startTime`, is still that process. Without a recorded start
 * time (a run directory from before start times were kept, or no /proc) only the pid can
 * be checked.
 */
export async function recordedProcess(pid: number, startTime: string | undefined): Promise<RecordedProcess> {
  if (startTime === undefined) return isAlive(pid) ? 'alive' : 'gone';
  const current = await processStartTime(pid);
  if (current === undefined) return 'gone';
  return current === startTime ? 'alive' : 'replaced';
}

/** Whether a process (or, with a negative id, a process group) exists. EPERM means it exists as another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
