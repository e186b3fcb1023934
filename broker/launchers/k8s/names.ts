// What a Kubernetes run is called and how it is marked: a deterministic, DNS-safe name from the
// job id and attempt (so that a re-delivered launch step finds the run it may already have made,
// instead of making a second one), and the labels and annotations every object of a run carries
// (so that one label selector finds Sluice's runs, and a job's runs are listed without a store).
import { createHash } from 'node:crypto';

/** Longest name every object of a run can take: a pod's hostname, a Service and a label value are DNS-1123 labels. */
export const MAX_NAME = 63;
/** Room kept below MAX_NAME for the suffixes the objects of a run add (`-driver`, `-ui-svc`, `-spec`). */
const SUFFIX_ROOM = 8;

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  job: 'sluice.io/job',
  pipeline: 'sluice.io/pipeline',
  attempt: 'sluice.io/attempt',
} as const;

export const ANNOTATIONS = {
  traceId: 'sluice.io/trace-id',
  /** The job id in full, when the label had to be shortened. */
  jobId: 'sluice.io/job-id',
} as const;

export const MANAGED_BY = 'sluice';
/** The selector of every run any Sluice made: the one informer per namespace lists and watches with it. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

/** `sluice-<job>-<attempt>`, lowercase and DNS-safe; a long or unsafe job id is cut and a hash of it keeps names apart. */
export function runName(jobId: string, attempt: number): string {
  const suffix = `-${attempt}`;
  const room = MAX_NAME - SUFFIX_ROOM - 'sluice-'.length - suffix.length;
  const cleaned = jobId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  // Cleaning can map two ids to one name ("A" and "a"): only an id that survives it unchanged is used bare.
  if (cleaned === jobId && cleaned.length > 0 && cleaned.length <= room) return `sluice-${cleaned}${suffix}`;
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 10);
  const head = cleaned.slice(0, room - hash.length - 1).replace(/-+$/, '');
  return `sluice-${head ? `${head}-` : ''}${hash}${suffix}`;
}

/** A label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (cleaned === value && value.length <= MAX_NAME) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 10);
  return `${cleaned.slice(0, MAX_NAME - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '')}-${hash}`.replace(/^-/, '');
}

export type RunIdentity = { jobId: string; attempt: number; pipeline: string; traceId?: string | undefined };

/** The labels of every object of a run (the application, its pods, service and config map). */
export function runLabels(run: RunIdentity): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.job]: labelValue(run.jobId),
    [LABELS.pipeline]: labelValue(run.pipeline),
    [LABELS.attempt]: String(run.attempt),
  };
}

export function runAnnotations(run: RunIdentity): Record<string, string> {
  return { [ANNOTATIONS.jobId]: run.jobId, ...(run.traceId ? { [ANNOTATIONS.traceId]: run.traceId } : {}) };
}

/**
 * The selector of one job's runs, every attempt, within `selector` (a launcher's own: for
 * driver pods it must hold spark-role=driver, since the executors carry the run's labels too).
 */
export function jobSelector(jobId: string, selector: string = MANAGED_SELECTOR): string {
  return `${selector},${LABELS.job}=${labelValue(jobId)}`;
}

/** A handle's runId is `<namespace>/<name>`: enough to find the run again from any worker. */
export function runIdOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function parseRunId(runId: string): { namespace: string; name: string } {
  const slash = runId.indexOf('/');
  if (slash <= 0) throw new Error(`"${runId}" is not a Kubernetes run id (<namespace>/<name>)`);
  return { namespace: runId.slice(0, slash), name: runId.slice(slash + 1) };
}

/** Whether an object's labels say it is this run's (adopting an AlreadyExists needs them to). */
export function labelsMatch(actual: Record<string, string> | undefined, expected: Record<string, string>): boolean {
  return Object.entries(expected).every(([key, value]) => actual?.[key] === value);
}
