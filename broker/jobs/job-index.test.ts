import { describe, expect, it } from 'vitest';
import { jobIdTimePrefix, newJobId } from '../core/ids.ts';
import { fileName, hasLabels, jobIdOfMember, matchesSearch, searchEntries, searchEntryChanges } from './job-index.ts';
import type { Job } from '../core/job.ts';
import { redisKeys } from './redis-keys.ts';

const keys = redisKeys('t');
const job = { id: 'j1', labels: { team: 'finance', env: 'prod' }, inputs: ['/landing/sales/day=1/', 's3://bucket/in/part-0.parquet', 's3://bucket/in/part-0.parquet'] };

describe('search entries', () => {
  it('one per label, path and file name, without duplicates, each naming the job', () => {
    const entries = searchEntries(job, keys);
    expect(entries.filter((entry) => entry.key.startsWith('t:jobs:label:')).map((entry) => entry.key)).toEqual(['t:jobs:label:team=finance', 't:jobs:label:env=prod']);
    expect(entries.filter((entry) => entry.key === keys.inputPaths).map((entry) => entry.member)).toEqual(['/landing/sales/day=1/\0j1', 's3://bucket/in/part-0.parquet\0j1']);
    expect(entries.filter((entry) => entry.key === keys.inputNames).map((entry) => jobIdOfMember(entry.member))).toEqual(['j1', 'j1']);
    expect(fileName('/landing/sales/day=1/')).toBe('day=1');
  });

  it('a change of labels or inputs moves only what changed; other rewrites move nothing', () => {
    const before = job as unknown as Job;
    expect(searchEntryChanges(before, { ...before, state: 'running' } as Job, keys)).toEqual({ removed: [], added: [] });
    const changes = searchEntryChanges(before, { ...before, labels: { team: 'ops', env: 'prod' } } as Job, keys);
    expect(changes.removed.map((entry) => entry.key)).toEqual(['t:jobs:label:team=finance']);
    expect(changes.added.map((entry) => entry.key)).toEqual(['t:jobs:label:team=ops']);
  });
});

describe('the per-job checks', () => {
  it('search matches the start of the id, a path or a file name; labels match exactly', () => {
    expect(['j1', 's3://bucket/', 'part-0', 'day=', '/landing/sales/day=1/'].every((q) => matchesSearch(job, q))).toBe(true);
    expect(['0.parquet', 'bucket', 'J1'].some((q) => matchesSearch(job, q))).toBe(false);
    expect(hasLabels(job, ['team=finance', 'env=prod'])).toBe(true);
    expect(hasLabels(job, ['team=fin'])).toBe(false);
    expect(hasLabels(job, ['constructor='])).toBe(false);
  });

  it('an id made at a time sorts within that time\'s id range', () => {
    const at = Date.UTC(2025, 5, 1, 12);
    const id = newJobId(at, new Uint8Array(8).fill(255));
    expect(id >= jobIdTimePrefix(at) && id < jobIdTimePrefix(at + 1)).toBe(true);
    expect(newJobId(at - 1, new Uint8Array(8).fill(255)) < jobIdTimePrefix(at)).toBe(true);
  });
});
