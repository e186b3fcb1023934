import { describe, expect, it } from 'vitest';
import { LauncherNotConfiguredError, LauncherRegistry } from './launcher-registry.ts';
import type { Launcher } from './launcher.ts';
import { minimalPipeline } from '../../test/harness/minimal-pipeline.ts';

const pipeline = (name: string, engine: Record<string, unknown>) => minimalPipeline(name, { engine });

describe('LauncherRegistry', () => {
  // A worker without SLUICE_K8S_KUBECONFIG has only the local launcher (the registry only
  // looks launchers up by name, so a bare one stands in for it).
  const registry = new LauncherRegistry({ local: { name: 'local' } as Launcher });

  it('names, at start, the pipelines whose Spark runs need a launcher this worker lacks', () => {
    const pipelines = [
      pipeline('on-cluster', { launcher: 'k8s-operator' }),
      pipeline('native', { launcher: 'k8s-native', kind: 'spark' }),
      pipeline('here', {}),
      // On the embedded engine, but retried on Spark after a platform failure (the default fallback).
      pipeline('falls-back', { launcher: 'k8s-operator', kind: 'embedded' }),
      // On the embedded engine only: it never launches Spark.
      pipeline('small', { launcher: 'k8s-operator', kind: 'embedded', fallback: 'none' }),
    ];
    expect(registry.lacking(pipelines)).toEqual([
      { pipeline: 'on-cluster', launcher: 'k8s-operator' },
      { pipeline: 'native', launcher: 'k8s-native' },
      { pipeline: 'falls-back', launcher: 'k8s-operator' },
    ]);
    expect(() => registry.forPipeline(pipelines[0]!)).toThrow(LauncherNotConfiguredError);
    expect(() => registry.forPipeline(pipelines[0]!)).toThrow(/launcher "k8s-operator" \(engine.launcher\), which this worker does not have; it has: local/);
  });
});
