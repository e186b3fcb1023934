// The Grafana dashboard in deploy/grafana reads only metrics that Sluice exports, with the
// labels they have: a renamed metric or label breaks this test, not a panel in production.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

type Target = { expr: string; datasource: { uid: string } };
type Panel = { type: string; title: string; targets?: Target[]; datasource?: { uid: string } };
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/sluice-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
};
const targets = dashboard.panels.flatMap((panel) => panel.targets ?? []);

/** Metric name → label names, as the registry declares them (plus those Prometheus adds). */
function exported(): Map<string, Set<string>> {
  const metrics = createMetrics({
    store: { countByState: async () => ({}) as never, onTransition: () => undefined },
    queues: { counts: async () => ({ counts: {} }) },
    landings: { countByState: async () => ({}) },
  });
  const names = new Map<string, Set<string>>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name, labelNames = [] } = metric as unknown as { name: string; labelNames?: readonly string[] };
    names.set(name, new Set(['le', 'instance', 'job', ...labelNames]));
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('has a Prometheus datasource variable that every panel uses', () => {
    expect(dashboard.templating.list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]));
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) expect(target.datasource.uid).toBe('${datasource}');
  });

  it('queries only metrics and labels that Sluice exports', () => {
    const names = exported();
    for (const { expr } of targets) {
      for (const [, metric, selector] of expr.matchAll(/\b((?:sluice|process)_[a-z_]+?)(?:_bucket|_count|_sum)?\b(\{[^}]*\})?/g)) {
        const base = names.has(metric!) ? metric! : metric!.replace(/_(bucket|count|sum)$/, '');
        expect(names.has(base), `${metric} in ${expr}`).toBe(true);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)\s*(?:=~|!=|=)/g)) expect(names.get(base)!.has(label!), `${label} of ${base}`).toBe(true);
      }
      for (const [, list] of expr.matchAll(/by \(([^)]*)\)/g)) {
        const used = list!.split(',').map((label) => label.trim());
        const metric = /\b(sluice_[a-z_]+?)(?:_bucket|_count|_sum)?\b/.exec(expr)![1]!;
        const base = names.has(metric) ? metric : metric.replace(/_(bucket|count|sum)$/, '');
        for (const label of used) expect(names.get(base)!.has(label), `${label} of ${base} in ${expr}`).toBe(true);
      }
    }
  });

  it('has a panel for each thing an operator watches', () => {
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join(' | ');
    for (const topic of ['jobs by state', 'stage duration p50', 'stage duration p95', 'queue depth', 'landings by state', 'quarantine', 'rows loaded', 'load seconds', 'retries', 'failures by class']) {
      expect(titles).toContain(topic);
    }
  });
});
