// A job record as the store keeps it, for tests that write records directly (no API, no
// pipeline lookup): one attempt of three, entered into `state` at `atMs` and never changed since.
import type { Job, JobState } from '../../broker/core/job.ts';

export function jobRecord(id: string, pipeline: string, state: JobState = 'queued', atMs = Date.now()): Job {
  const at = new Date(atMs).toISOString();
  return {
    id, pipeline, state, attempt: 1, maxAttempts: 3, priority: 10, parameters: {}, inputs: ['a.parquet'], labels: {},
    createdAt: at, updatedAt: at, history: [{ state, at, attempt: 1, reason: state === 'queued' ? 'submitted' : 'set by the test' }],
  };
}
