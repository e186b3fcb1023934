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
    ['SUBMISSION_FAILED', { main: app('SUBMISSION_FAILED', { appError: 'failed to run spark-submit' }), committed: false }, { phase: 'failed', failureClass: 'platform', message: expect.stringContaining('spark-submit could not submit') }],
    ['SUBMITTED, driver Pending', { main: app('SUBMITTED'), driver: { phase: 'Pending' }, committed: false }, { phase: 'pending' }],
    ['RUNNING, driver Running', { main: app('RUNNING'), driver: { phase: 'Running' }, committed: false }, { phase: 'running' }],
    ['RUNNING and manifest already there: still running until the driver ends', { main: app('RUNNING'), driver: { phase: 'Running' }, committed: true }, { phase: 'running' }],
  ])('%s', (_name, view, expected) => {
    expect(decideOutcome({ what, ...(view as Omit<RunView, 'what'>) }).status).toMatchObject(expected);
  });

  it('says why a driver waits: image pull failure, or the scheduler\'s message', () => {
    const pull = decideOutcome({ what, main: app('SUBMITTED'), committed: false, driver: { phase: 'Pending', waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } });
    expect(pull).toEqual({ status: { phase: 'pending' }, waitingFor: 'image pull failed (ImagePullBackOff): Back-off pulling image "x"' });
    const pod = { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }] } };
    const unschedulable = decideOutcome({ what, main: app('SUBMITTED'), committed: false, driver: driverView(pod, 'spark-kubernetes-driver') });
    expect(unschedulable.waitingFor).toBe("unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  });
});
