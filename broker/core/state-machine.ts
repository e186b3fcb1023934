// The job state machine. Each worker step reads the job, decides one transition with
// `transition()`, and writes it back with a compare-and-set on the state it read.
//
//            submit
//              │
//              ▼          retry (platform failure, attempts left, after backoff)
//   ┌────► queued ◄──────────────────────────────┐
//   │          │ slot free                        │
//   │          ▼                                  │
//   │      launching ── launch() ──► running ─────┤
//   │          │                      │  run ended│
//   │          │                      ▼           │
//   │          │                   loading ───────┘ (only with SQL outputs; a failed load
//   │          │                      │              retries itself: loading → loading)
//   │          ▼                      ▼
//   │   failed | cancelled       succeeded
//   │      │
//   └──────┘ POST /retry (a new attempt; back to loading when only the load failed)
//
// Any non-final state may go to `cancelled` or `failed`.
import { type FailureClass, type Job, type JobState } from './job.ts';

const NEXT: Record<JobState, readonly JobState[]> = {
  queued: ['launching', 'failed', 'cancelled'],
  launching: ['running', 'queued', 'failed', 'cancelled'],
  running: ['loading', 'succeeded', 'queued', 'failed', 'cancelled'],
  loading: ['loading', 'succeeded', 'queued', 'failed', 'cancelled'],
  succeeded: [],
  failed: ['queued', 'loading'],
  cancelled: ['queued'],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return NEXT[from].includes(to);
}

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(readonly from: JobState, readonly to: JobState) {
    super(`a job cannot go from ${from} to ${to}`);
  }
}

/**
 * Returns the job after one transition, with the change recorded in its history. A
 * scheduled retry (`retryAt`) and the progress of a running SQL load (`loadProgress`) belong
 * to the state that set them: every transition ends them, unless the patch sets them anew.
 */
export function transition(job: Job, to: JobState, at: Date, reason?: string, patch: Partial<Job> = {}): Job {
  if (!canTransition(job.state, to)) throw new IllegalTransitionError(job.state, to);
  const iso = at.toISOString();
  const { retryAt: _ended, loadProgress: _over, ...rest } = job;
  return {
    ...rest,
    ...patch,
    state: to,
    updatedAt: iso,
    history: [...job.history, { state: to, at: iso, attempt: patch.attempt ?? job.attempt, ...(reason ? { reason } : {}) }],
  };
}

/**
 * When the job's current stage began, in ms, for its stage timeout: when it entered the
 * state, or when its scheduled retry was due if that is later. A retry's backoff is not the
 * retried stage's time: a load retried after 10 s of backoff still gets its whole timeout.
 */
export function stageStartedAt(job: Job): number {
  const entered = Date.parse(job.history.at(-1)?.at ?? job.updatedAt);
  return job.retryAt ? Math.max(entered, Date.parse(job.retryAt)) : entered;
}

/** Classes of failure that a new attempt may cure. */
const RETRYABLE: ReadonlySet<FailureClass> = new Set(['platform', 'timeout']);

export function isRetryable(failureClass: FailureClass): boolean {
  return RETRYABLE.has(failureClass);
}

/** The stages the API shows: the step the worker runs next (`done` once final). */
export const STAGES = ['queue', 'launch', 'await', 'load', 'done'] as const;
export type Stage = (typeof STAGES)[number];

/** The stage a job is in, as shown by the API. */
export function currentStage(job: Job): Stage {
  switch (job.state) {
    case 'queued':
      return 'queue';
    case 'launching':
      return 'launch';
    case 'running':
      return 'await';
    case 'loading':
      return 'load';
    default:
      return 'done';
  }
}
