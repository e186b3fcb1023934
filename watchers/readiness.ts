// When is a landed file complete? Pure decisions over observations and the clock; the
// fs source does the stat calls and feeds them in, so each rule is tested without a disk.
//
// - stable: size and mtime unchanged across two observations at least `quiet` apart.
// - marker: a marker file (`_SUCCESS`) in the file's folder, written no earlier than the
//   file itself (a marker left from an earlier drop does not vouch for a new file).
// - rename: a temporary name is never ready; a final name is ready on sight (the producer
//   renames only once it has closed the file).
import { globMatcher, type GlobMatcher } from './glob.ts';

/** One stat of a file, and when it was taken (ms since the epoch). */
export type Observation = { size: number; mtimeMs: number; at: number };

export type Decision = { ready: true } | { ready: false; recheckAt: number };

export function stableDecision(first: Observation, second: Observation, quietMs: number): Decision {
  const unchanged = first.size === second.size && first.mtimeMs === second.mtimeMs;
  if (!unchanged) return { ready: false, recheckAt: second.at + quietMs };
  if (second.at - first.at >= quietMs) return { ready: true };
  return { ready: false, recheckAt: first.at + quietMs };
}

/** `marker` is the marker file's observation in the same folder, or undefined when absent. */
export function markerDecision(file: Observation, marker: Observation | undefined, recheckEveryMs: number): Decision {
  if (marker && marker.mtimeMs >= file.mtimeMs) return { ready: true };
  return { ready: false, recheckAt: file.at + recheckEveryMs };
}

export function renameDecision(name: string, isTemporary: GlobMatcher): Decision | 'ignore' {
  return isTemporary(name) ? 'ignore' : { ready: true };
}

/** Temp patterns match the file name only ("*.tmp", ".*"), wherever the file sits. */
export function temporaryNameMatcher(patterns: readonly string[]): GlobMatcher {
  return globMatcher(patterns);
}
