// How a Kubernetes run ended, decided from everything that can be seen of it together: the
// state of its main object (the SparkApplication's applicationState, or the driver pod's
// phase), the driver container's exit code, termination reason and message, whether the run's
// `_manifest.json` is in the lake, and what this launcher did to it itself. No single signal
// decides: an application COMPLETED without a manifest did not commit; a driver gone with the
// manifest in place did.
//
//   main object ──absent──► committed? ─yes─► succeeded
//        │                        └─no──► deleted by someone else (seen)? failed platform : lost
//        ├─ being deleted, not by us ─► committed? succeeded : failed platform (deleted by someone else)
//        ├─ driver terminated (exit code) ─► 0: committed? succeeded : failed platform (no manifest)
//        │                                   ≠0: committed? succeeded : exit contract (+ OOM, eviction, reason words)
//        ├─ application FAILED / SUBMISSION_FAILED ─► committed? succeeded : exit 64/65 in the operator's words and a
//        │                                           failure line in the archived log (driver pod gone)? that class : failed platform
//        ├─ application COMPLETED, driver unseen ─► committed? succeeded : failed platform (no manifest)
//        └─ otherwise: pending (SUBMITTED, driver Pending: with the reason it waits) or running
//
// Every failure carries the end of the driver log (ADR 0004: its last 40 lines) when one could
// be read, whichever row decided it: a platform failure is the one a log explains best.
import { SPARK_EXIT } from '../../core/run-spec.ts';
import type { RunStatus } from '../launcher.ts';
import { lastLines } from '../log-tail.ts';
import { endedRunStatus, failureLine, LOG_TAIL_LINES } from '../spark/exit-contract.ts';

export type DriverView = {
  phase?: string | undefined;
  /**
   * The pod's own reason and message, set when the kubelet ended or refused the pod itself
   * (Evicted under node pressure, OutOfcpu, a node shutdown): its containers know nothing of it.
   */
  pod?: PodEnd | undefined;
  terminated?: { exitCode: number; reason?: string | undefined; message?: string | undefined } | undefined;
  waiting?: { reason?: string | undefined; message?: string | undefined } | undefined;
  /** The PodScheduled condition's message when the scheduler could not place the pod. */
  unschedulable?: string | undefined;
};

export type RunView = {
  /** What the run is, for messages: "SparkApplication analytics/sluice-j-1". */
  what: string;
  main:
    | { present: false; deletedByOthers?: boolean }
    | {
        present: true;
        deleting: boolean;
        /** The application's state (operator) or undefined (native: the driver pod is the main object). */
        appState?: string | undefined;
        appError?: string | undefined;
      };
  driver?: DriverView | undefined;
  committed: boolean;
  /** The end of the driver log (pod log or its archive in the lake), when one can be read. */
  logEnd?: string | undefined;
};

export type Decision = { status: RunStatus; /** Why a pending run waits, in words (image pull, scheduling). */ waitingFor?: string };

const LIVE_APP_STATES = new Set(['', 'NEW', 'SUBMITTED', 'PENDING_SUBMISSION', 'RUNNING', 'SUCCEEDING', 'FAILING', 'PENDING_RERUN', 'INVALIDATING', 'UNKNOWN']);
const PENDING_APP_STATES = new Set(['', 'NEW', 'SUBMITTED', 'PENDING_SUBMISSION', 'PENDING_RERUN']);

const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

export function decideOutcome(view: RunView): Decision {
  const { main, driver, committed } = view;
  if (!main.present) {
    if (committed) return { status: { phase: 'succeeded' } };
    if (main.deletedByOthers) return failed('platform', `${view.what} was deleted by someone else before it ended`);
    return { status: { phase: 'lost', message: `${view.what} does not exist: it was never created, or was deleted by someone else` } };
  }
  const terminated = driver?.terminated;
  if (terminated) {
    if (committed) return { status: { phase: 'succeeded' } };
    // The termination message holds the app's failure line (SLUICE_FAILURE_FILE), or else the
    // log's end (FallbackToLogsOnError): it speaks where no log can be read, and where the
    // log's end no longer holds the line (the driver logged on after it).
    const logEnd = [view.logEnd, terminated.message].find((text) => text !== undefined && failureLine(text) !== undefined) ?? view.logEnd ?? terminated.message ?? '';
    if (terminated.exitCode === SPARK_EXIT.ok) {
      return failed('platform', `the driver of ${view.what} exited 0 without committing the run's _manifest.json to the lake`, logEnd);
    }
    return { status: endedRunStatus(terminated.exitCode, logEnd, exitWords(terminated.exitCode, terminated.reason, driver?.pod)) };
  }
  if (main.deleting) {
    if (committed) return { status: { phase: 'succeeded' } };
    return failed('platform', `${view.what} is being deleted by someone else before it ended`, view.logEnd);
  }
  const state = main.appState ?? '';
  if (state === 'FAILED' || state === 'SUBMISSION_FAILED') {
    if (committed) return { status: { phase: 'succeeded' } };
    const words = state === 'SUBMISSION_FAILED' ? `spark-submit could not submit ${view.what}` : `${view.what} failed`;
    // The driver pod is gone (collected, deleted) but the operator kept its exit code in its words
    // and the archived log keeps the app's failure line: a user or data exit is still that (ADR
    // 0004), not a platform failure that a retry would only repeat. Without the line it stays
    // platform: a data failure naming no input would quarantine the whole batch, where the next
    // attempt's driver names the bad file.
    const exitCode = state === 'FAILED' ? operatorExitCode(main.appError) : undefined;
    if ((exitCode === SPARK_EXIT.user || exitCode === SPARK_EXIT.data) && view.logEnd && failureLine(view.logEnd)) {
      return { status: endedRunStatus(exitCode, view.logEnd) };
    }
    return failed('platform', `${words}${main.appError ? `: ${operatorWords(main.appError)}` : ''}${podWords(driver?.pod)}`, view.logEnd);
  }
  if (state === 'COMPLETED') {
    if (committed) return { status: { phase: 'succeeded' } };
    return failed('platform', `${view.what} completed without committing the run's _manifest.json to the lake`, view.logEnd);
  }
  if (driver?.phase === 'Succeeded' || driver?.phase === 'Failed') {
    // A pod that ended without a container status (evicted or refused by the kubelet, or its node lost).
    if (committed) return { status: { phase: 'succeeded' } };
    return failed('platform', `the driver pod of ${view.what} ended (${driver.phase}) without an exit code${podWords(driver.pod)}`, view.logEnd);
  }
  // An application without any state has not been taken up by a Spark Operator: none runs, or
  // none watches its namespace. Said, so that the launching timeout names what to fix.
  const unclaimed = main.appState === '' && !driver ? `no Spark Operator has taken up ${view.what} (it has no status): is one running and watching its namespace?` : undefined;
  const waitingFor = waitingWords(driver) ?? unclaimed;
  // Pending only while the driver has not run: a pod whose state could not be obtained (phase
  // Unknown, its node not answering) is a run going on (its node's eviction ends it), not one
  // that did not start within timeouts.launching, which the job would stop at once.
  const pending = PENDING_APP_STATES.has(state) && (driver?.phase === undefined || driver.phase === 'Pending');
  if (!LIVE_APP_STATES.has(state)) return { status: { phase: 'running' }, ...(waitingFor ? { waitingFor } : {}) };
  return { status: { phase: pending || driver?.phase === 'Pending' ? 'pending' : 'running' }, ...(waitingFor ? { waitingFor } : {}) };
}

function failed(failureClass: 'platform', message: string, logEnd = ''): Decision {
  return { status: { phase: 'failed', failureClass, message, logTail: lastLines(logEnd, LOG_TAIL_LINES) } };
}

/**
 * The words for an exit the app did not explain: Kubernetes' termination reason says more than
 * a number. An eviction is the pod's reason, not its container's (whose reason then reads Error
 * or ContainerStatusUnknown, with exit 137): it is told before any guess from the exit code, so
 * that a node short of disk is not reported as a driver short of memory.
 */
export function exitWords(exitCode: number, reason: string | undefined, pod?: PodEnd): string {
  if (reason === 'OOMKilled') return oomWords(exitCode);
  if (pod?.reason) return `the driver pod was ${pod.reason === 'Evicted' ? 'evicted' : `ended by its node (${pod.reason})`} (exit ${exitCode})${pod.message ? `: ${pod.message}` : ''}`;
  if (exitCode === 137 && !reason) return oomWords(exitCode);
  if (exitCode === 137) return `the driver was killed (exit 137, ${reason})`;
  return `the driver exited with code ${exitCode}${reason && reason !== 'Error' ? ` (${reason})` : ''}`;
}

const oomWords = (exitCode: number): string => `the driver was OOM-killed (exit ${exitCode}): it needs more memory than engine.driver.memory allows`;

/** The pod's own reason and message, as words to append to a failure ("" when the kubelet gave none). */
function podWords(pod: PodEnd | undefined): string {
  if (!pod?.reason) return '';
  return ` (${pod.reason === 'Evicted' ? 'evicted' : pod.reason}${pod.message ? `: ${pod.message}` : ''})`;
}

/** The driver's exit code in the operator's errorMessage ("driver container failed with ExitCode: 64, Reason: Error"). */
function operatorExitCode(message: string | undefined): number | undefined {
  const match = /ExitCode: (\d+)/.exec(message ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The operator's errorMessage, with a known exit said in words. */
function operatorWords(message: string): string {
  if (/ExitCode: 137|OOMKilled/.test(message)) return `the driver was OOM-killed (${message})`;
  if (/executor/i.test(message) && /lost|fail/i.test(message)) return `executor lost (${message})`;
  return message;
}

/** Why a driver that has not started waits: its image, or the scheduler's own message. */
export function waitingWords(driver: DriverView | undefined): string | undefined {
  if (!driver) return undefined;
  if (driver.waiting?.reason && IMAGE_PULL_REASONS.has(driver.waiting.reason)) {
    return `image pull failed (${driver.waiting.reason})${driver.waiting.message ? `: ${driver.waiting.message}` : ''}`;
  }
  if (driver.unschedulable !== undefined) return `unschedulable: ${driver.unschedulable || 'no node fits the driver pod'}`;
  if (driver.waiting?.reason && driver.waiting.reason !== 'ContainerCreating') {
    return `${driver.waiting.reason}${driver.waiting.message ? `: ${driver.waiting.message}` : ''}`;
  }
  return undefined;
}

/** The driver as its pod shows it (main container first: Spark's, or the only one). */
export function driverView(pod: PodLike | undefined, container: string): DriverView | undefined {
  if (!pod) return undefined;
  const statuses = pod.status?.containerStatuses ?? [];
  const status = statuses.find((candidate) => candidate.name === container) ?? statuses[0];
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  const terminated = status?.state?.terminated;
  const waiting = status?.state?.waiting;
  const podReason = pod.status?.reason;
  return {
    phase: pod.status?.phase,
    ...(podReason ? { pod: { reason: podReason, ...(pod.status?.message ? { message: pod.status.message } : {}) } } : {}),
    ...(terminated ? { terminated: { exitCode: terminated.exitCode, reason: terminated.reason, message: terminated.message } } : {}),
    ...(waiting ? { waiting: { reason: waiting.reason, message: waiting.message } } : {}),
    ...(scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? { unschedulable: scheduled.message ?? '' } : {}),
  };
}

/** A pod's own end, as the kubelet says it (V1PodStatus reason and message). */
export type PodEnd = { reason?: string | undefined; message?: string | undefined };

/** The parts of a V1Pod read here (plain, so tests build them by hand). */
export type PodLike = {
  status?: {
    phase?: string | undefined;
    reason?: string | undefined;
    message?: string | undefined;
    conditions?: Array<{ type: string; status: string; reason?: string | undefined; message?: string | undefined }> | undefined;
    containerStatuses?:
      | Array<{
          name: string;
          state?: {
            terminated?: { exitCode: number; reason?: string | undefined; message?: string | undefined } | undefined;
            waiting?: { reason?: string | undefined; message?: string | undefined } | undefined;
          } | undefined;
        }>
      | undefined;
  } | undefined;
};
