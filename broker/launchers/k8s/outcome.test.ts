// The outcome decision table: each row is one combination of application state, driver
// termination and manifest presence, and what Sluice makes of it.
import { describe, expect, it } from 'vitest';
import { decideOutcome, driverView, type RunView } from './outcome.ts';

const what = 'SparkApplication ns/sluice-j-1';
const app = (appState: string, extra: Partial<{ deleting: boolean; appError: string }> = {}): RunView['main'] => ({ present: true, deleting: false, appState, ...extra });
const exited = (exitCode: number, reason?: string, message?: string) => ({ phase: exitCode === 0 ? 'Succeeded' : 'Failed', terminated: { exitCode, reason, message } });
const line = (failure: object) => `SLUICE_FAILURE ${JSON.stringify(failure)}`;

describe('kubernetes run outcome', () => {
  it.each([
    ['COMPLETED, driver exit 0, manifest', { main: app('COMPLETED'), driver: exited(0), committed: true }, { phase: 'succeeded' }],
    ['COMPLETED, driver exit 0, no manifest', { main: app('COMPLETED'), driver: exited(0), committed: false }, { phase: 'failed', failureClass: 'platform' }],
    ['COMPLETED, driver pod gone, manifest', { main: app('COMPLETED'), committed: true }, { phase: 'succeeded' }],
    ['COMPLETED, driver pod gone, no manifest', { main: app('COMPLETED'), committed: false }, { phase: 'failed', failureClass: 'platform' }],
    ['application gone, manifest (pod GC\'d after commit)', { main: { present: false }, committed: true }, { phase: 'succeeded' }],
    ['application gone, no manifest', { main: { present: false }, committed: false }, { phase: 'lost' }],
    ['application deleted by someone else', { main: { present: false, deletedByOthers: true }, committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('deleted by someone else') }],
    ['being deleted, not by Sluice, driver running', { main: app('RUNNING', { deleting: true }), driver: { phase: 'Running' }, committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('deleted by someone else') }],
    ['RUNNING, driver exited 64 (application not yet FAILED)', { main: app('RUNNING'), driver: exited(64, 'Error', line({ message: 'bad sql' })), committed: false }, { phase: 'failed', failureClass: 'user', message: 'bad sql' }],
    ['FAILED, driver exit 65 with input', { main: app('FAILED'), driver: exited(65, 'Error', line({ message: 'not parquet', input: 's3://l/a' })), committed: false }, { phase: 'failed', failureClass: 'data', input: 's3://l/a' }],
    ['FAILED, driver OOM-killed', { main: app('FAILED'), driver: exited(137, 'OOMKilled'), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('OOM-killed') }],
    ['FAILED, driver pod gone, operator says 137', { main: app('FAILED', { appError: 'driver container failed with ExitCode: 137, Reason: OOMKilled' }), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('OOM-killed') }],
    ['FAILED, executor lost', { main: app('FAILED', { appError: 'executor 3 lost: node gone' }), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('executor lost') }],
    ['FAILED but committed (died after its commit)', { main: app('FAILED'), driver: exited(1), committed: true }, { phase: 'succeeded' }],
    ['FAILED with exit 64, driver pod gone: still user, with the archived log\'s failure line', { main: app('FAILED', { appError: 'driver container failed with ExitCode: 64, Reason: Error' }), committed: false, logEnd: `INFO start\n${line({ message: 'bad sql' })}\nINFO shutdown\n` }, { phase: 'failed', failureClass: 'user', message: 'bad sql' }],
    ['FAILED with exit 65 and input, driver pod gone: still data, naming the input', { main: app('FAILED', { appError: 'driver container failed with ExitCode: 65, Reason: Error' }), committed: false, logEnd: `${line({ message: 'not parquet', input: 's3://l/a' })}\n` }, { phase: 'failed', failureClass: 'data', message: 'not parquet', input: 's3://l/a' }],
    ['FAILED with exit 65, driver pod gone, no log left: platform (retried), never a data failure naming no input', { main: app('FAILED', { appError: 'driver container failed with ExitCode: 65, Reason: Error' }), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('ExitCode: 65') }],
    ['SUBMISSION_FAILED', { main: app('SUBMISSION_FAILED', { appError: 'failed to run spark-submit' }), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('spark-submit could not submit') }],
    ['SUBMITTED, driver Pending', { main: app('SUBMITTED'), driver: { phase: 'Pending' }, committed: false }, { phase: 'pending' }],
    ['driver pod Unknown (its node stopped answering) after it ran: running, not "not started"', { main: { present: true, deleting: false }, driver: { phase: 'Unknown' }, committed: false }, { phase: 'running' }],
    ['RUNNING, driver Running', { main: app('RUNNING'), driver: { phase: 'Running' }, committed: false }, { phase: 'running' }],
    // The app writes its line to the termination message too (SLUICE_FAILURE_FILE): it counts
    // where the log's end read no longer holds it (the driver logged on after it).
    ['FAILED, exit 65, the line only in the termination message', { main: app('FAILED'), driver: exited(65, 'Error', `${line({ message: 'bad value', input: 's3://l/b' })}\n`), committed: false, logEnd: 'INFO shutdown hook\nINFO deleting dirs\n' }, { phase: 'failed', failureClass: 'data', message: 'bad value', input: 's3://l/b' }],
    ['RUNNING and manifest already there: still running until the driver ends', { main: app('RUNNING'), driver: { phase: 'Running' }, committed: true }, { phase: 'running' }],
  ])('%s', (_name, view, expected) => {
    expect(decideOutcome({ what, ...(view as Omit<RunView, 'what'>) }).status).toMatchObject(expected);
  });

  it('says that the kubelet evicted the driver, in its words, rather than guessing from exit 137', () => {
    const message = 'The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi. Container spark-kubernetes-driver was using 9Gi, request is 0.';
    const evicted = (reason?: string) => ({
      status: {
        phase: 'Failed', reason: 'Evicted', message,
        containerStatuses: [{ name: 'spark-kubernetes-driver', state: { terminated: { exitCode: 137, reason, message: 'The container could not be located when the pod was terminated' } } }],
      },
    });
    for (const containerReason of ['ContainerStatusUnknown', 'Error', undefined]) {
      const { status } = decideOutcome({ what, main: app('RUNNING'), driver: driverView(evicted(containerReason), 'spark-kubernetes-driver'), committed: false });
      expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: `the driver pod was evicted (exit 137): ${message}` });
    }
  });

  it('says why the kubelet ended a driver pod that has no exit code (refused at admission, evicted before it started)', () => {
    const refused = { status: { phase: 'Failed', reason: 'OutOfcpu', message: "Pod Node didn't have enough resource: cpu, requested: 4000, used: 1000, capacity: 4000" } };
    const { status } = decideOutcome({ what, main: app('RUNNING'), driver: driverView(refused, 'spark-kubernetes-driver'), committed: false });
    expect(status).toMatchObject({
      phase: 'failed',
      failureClass: 'platform',
      message: `the driver pod of ${what} ended (Failed) without an exit code (OutOfcpu: Pod Node didn't have enough resource: cpu, requested: 4000, used: 1000, capacity: 4000)`,
    });
  });

  const longLog = Array.from({ length: 200 }, (_, i) => `log line ${i}`).join('\n') + '\n';
  const last40 = Array.from({ length: 40 }, (_, i) => `log line ${160 + i}`).join('\n') + '\n';
  it.each([
    ['the driver exited 0 without a manifest', { main: app('RUNNING'), driver: exited(0) }],
    ['the application COMPLETED without a manifest', { main: app('COMPLETED') }],
    ['the application FAILED, its driver pod gone', { main: app('FAILED', { appError: 'driver pod not found' }) }],
    ['the run is being deleted by someone else', { main: app('RUNNING', { deleting: true }), driver: { phase: 'Running' } }],
    ['the driver pod ended without an exit code', { main: app('RUNNING'), driver: { phase: 'Failed' } }],
  ])('a platform failure carries the last 40 lines of the driver log: %s', (_name, view) => {
    const { status } = decideOutcome({ what, committed: false, logEnd: longLog, ...(view as Pick<RunView, 'main' | 'driver'>) });
    expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', logTail: last40 });
  });

  it('says that no Spark Operator took up an application that has no status at all', () => {
    expect(decideOutcome({ what, main: app(''), committed: false })).toEqual({
      status: { phase: 'pending' },
      waitingFor: `no Spark Operator has taken up ${what} (it has no status): is one running and watching its namespace?`,
    });
    // Once the operator submitted it, the application waits for its driver like any other.
    expect(decideOutcome({ what, main: app('SUBMITTED'), committed: false }).waitingFor).toBeUndefined();
  });

  it('says why a driver waits: image pull failure, or the scheduler\'s message', () => {
    const pull = decideOutcome({ what, main: app('SUBMITTED'), committed: false, driver: { phase: 'Pending', waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } });
    expect(pull).toEqual({ status: { phase: 'pending' }, waitingFor: 'image pull failed (ImagePullBackOff): Back-off pulling image "x"' });
    const pod = { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }] } };
    const unschedulable = decideOutcome({ what, main: app('SUBMITTED'), committed: false, driver: driverView(pod, 'spark-kubernetes-driver') });
    expect(unschedulable.waitingFor).toBe("unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  });
});
