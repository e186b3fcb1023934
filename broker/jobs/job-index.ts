// The search indexes of one job record, and the search itself as a per-job check. Pure: the
// job store's scripts write these entries atomically with the record, and its list() checks
// a job against the filters its chosen index does not answer.
//
// What is indexed (all lex-sorted sets with score 0, so a range read is a prefix match):
// - per label `key=value`: the job ids carrying it (sorted by id, i.e. by creation time);
// - every input path as `path\0jobid` (search: the path starts with the text typed);
// - every input's file name as `name\0jobid` (search: the file name starts with the text
//   typed; a folder input's name is its last segment).
// Job ids are searched in the all-jobs set: the exact id or an id prefix.
import type { Job } from '../core/job.ts';
import type { Keys } from './redis-keys.ts';

/** Separates the searched text from the job id in the path and name sets; no path or name holds it (control characters are refused at submit). */
export const MEMBER_SEPARATOR = '\0';

/** A member of an index set: the set's key and the member stored in it. */
export type IndexEntry = { key: string; member: string };

/** The last segment of a path or URI, a trailing slash ignored ("s3://b/in/day=1/" → "day=1"). */
export function fileName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? trimmed : trimmed.slice(slash + 1);
}

/** The label filter's `key=value` form: the first "=" separates them (label keys hold none). */
export function labelPair(key: string, value: string): string {
  return `${key}=${value}`;
}

/** Every search index entry of the job, without duplicates. */
export function searchEntries(job: Pick<Job, 'id' | 'labels' | 'inputs'>, keys: Keys): IndexEntry[] {
  const entries = new Map<string, IndexEntry>();
  const add = (key: string, member: string) => entries.set(`${key}\n${member}`, { key, member });
  for (const [key, value] of Object.entries(job.labels ?? {})) add(keys.byLabel(labelPair(key, value)), job.id);
  for (const path of job.inputs ?? []) {
    add(keys.inputPaths, `${path}${MEMBER_SEPARATOR}${job.id}`);
    const name = fileName(path);
    if (name) add(keys.inputNames, `${name}${MEMBER_SEPARATOR}${job.id}`);
  }
  return [...entries.values()];
}

/** The entries to remove and to add when a record changes from `before` to `after` (usually none: labels and inputs are fixed at submit). */
export function searchEntryChanges(before: Job, after: Job, keys: Keys): { removed: IndexEntry[]; added: IndexEntry[] } {
  if (before.inputs === after.inputs && before.labels === after.labels) return { removed: [], added: [] };
  const old = searchEntries(before, keys);
  const next = searchEntries(after, keys);
  const id = (entry: IndexEntry) => `${entry.key}\n${entry.member}`;
  const oldIds = new Set(old.map(id));
  const nextIds = new Set(next.map(id));
  return { removed: old.filter((entry) => !nextIds.has(id(entry))), added: next.filter((entry) => !oldIds.has(id(entry))) };
}

/** The job id in a path or name set member. */
export function jobIdOfMember(member: string): string {
  return member.slice(member.lastIndexOf(MEMBER_SEPARATOR) + 1);
}

/**
 * What `q` matches, checked on one job: its id starts with `q` (the exact id included), or
 * one of its input paths starts with `q`, or one of its inputs' file names starts with `q`.
 * Case-sensitive, as paths are.
 */
export function matchesSearch(job: Pick<Job, 'id' | 'inputs'>, q: string): boolean {
  if (job.id.startsWith(q)) return true;
  return (job.inputs ?? []).some((path) => path.startsWith(q) || fileName(path).startsWith(q));
}

/** Whether the job carries every `key=value` pair. */
export function hasLabels(job: Pick<Job, 'labels'>, pairs: readonly string[]): boolean {
  return pairs.every((pair) => {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    return job.labels !== undefined && Object.hasOwn(job.labels, key) && job.labels[key] === pair.slice(at + 1);
  });
}
