import { describe, expect, it } from 'vitest';
import { scheduledLabels, tickOfJob } from './scheduled-job.ts';

describe('tickOfJob', () => {
  const tick = Date.parse('2025-06-01T05:00:00Z');
  const createdAt = '2025-06-01T07:00:00.000Z';

  it("reads the tick a schedule's job is for from its labels", () => {
    expect(scheduledLabels(tick)).toEqual({ trigger: 'schedule', 'scheduled-for': '2025-06-01T05:00:00.000Z' });
    expect(tickOfJob({ labels: scheduledLabels(tick), createdAt })).toBe(tick);
  });

  it('has none for other jobs, an unreadable label, or a tick after the job was made', () => {
    expect(tickOfJob({ labels: { 'scheduled-for': '2025-06-01T05:00:00.000Z' }, createdAt })).toBeUndefined();
    expect(tickOfJob({ labels: { trigger: 'schedule', 'scheduled-for': 'soon' }, createdAt })).toBeUndefined();
    expect(tickOfJob({ labels: scheduledLabels(Date.parse('2025-06-01T08:00:00Z')), createdAt })).toBeUndefined();
  });
});
