import { describe, expect, it } from 'vitest';
import { jobSelector, labelValue, MAX_NAME, parseRunId, runIdOf, runLabels, runName } from './names.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('kubernetes run names', () => {
  it('are sluice-<job>-<attempt> for a plain job id, the same every time', () => {
    expect(runName('j8f3k2', 1)).toBe('sluice-j8f3k2-1');
    expect(runName('j8f3k2', 12)).toBe(runName('j8f3k2', 12));
    expect(runName('j8f3k2', 1)).not.toBe(runName('j8f3k2', 2));
  });

  it('stay DNS-safe and short enough for every suffix, and apart when ids clean or cut to the same text', () => {
    const long = 'x'.repeat(200);
    for (const id of [long, `${long}y`, 'Job_With.Caps', 'job_with.caps', '---', 'ünïcode-id']) {
      const name = runName(id, 3);
      expect(name).toMatch(DNS_LABEL);
      expect(name.length + '-driver'.length).toBeLessThanOrEqual(MAX_NAME);
      expect(name.endsWith('-3')).toBe(true);
    }
    expect(runName(long, 1)).not.toBe(runName(`${long}y`, 1));
    expect(runName('Job_With.Caps', 1)).not.toBe(runName('job_with.caps', 1));
  });

  it('label a run with managed-by, job, pipeline and attempt, values valid for Kubernetes', () => {
    const labels = runLabels({ jobId: 'j1', attempt: 2, pipeline: 'meter-daily' });
    expect(labels).toEqual({ 'app.kubernetes.io/managed-by': 'sluice', 'sluice.io/job': 'j1', 'sluice.io/pipeline': 'meter-daily', 'sluice.io/attempt': '2' });
    const long = labelValue('p'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
    expect(jobSelector('j1')).toBe('app.kubernetes.io/managed-by=sluice,sluice.io/job=j1');
  });

  it('round-trip a run id through <namespace>/<name>', () => {
    expect(parseRunId(runIdOf('analytics', 'sluice-j-1'))).toEqual({ namespace: 'analytics', name: 'sluice-j-1' });
    expect(() => parseRunId('no-namespace')).toThrow(/namespace/);
  });
});
