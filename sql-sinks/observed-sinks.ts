// A sink registry that reports each load (its sink, rows, time and result) to a listener,
// for the worker's metrics. The sinks themselves stay unaware of metrics.
import { sqlSinkName } from '../broker/core/pipeline.ts';
import type { SinkRegistry } from './open-sinks.ts';
import type { Sink } from './sink.ts';

export type LoadEvent = {
  /** The job's pipeline, or "unknown" when the request did not say. */
  pipeline: string;
  /** connection:table, as the ledger names it. */
  sink: string;
  result: 'loaded' | 'already-loaded' | 'failed';
  /** Rows written (loaded), found in the ledger (already-loaded), or 0 (failed). */
  rows: number;
  seconds: number;
};

export function observeLoads(registry: SinkRegistry, listener: (event: LoadEvent) => void, now: () => number = () => performance.now()): SinkRegistry {
  const wrapped = new Map<Sink, Sink>();
  const observed = (sink: Sink): Sink => ({
    dialect: sink.dialect,
    close: () => sink.close(),
    async load(...args: Parameters<Sink['load']>) {
      const [request] = args;
      const started = now();
      const base = { pipeline: request.pipeline ?? 'unknown', sink: sqlSinkName(request.output) };
      try {
        const outcome = await sink.load(...args);
        listener({ ...base, result: outcome.alreadyLoaded ? 'already-loaded' : 'loaded', rows: outcome.rowsStaged, seconds: (now() - started) / 1000 });
        return outcome;
      } catch (error) {
        listener({ ...base, result: 'failed', rows: 0, seconds: (now() - started) / 1000 });
        throw error;
      }
    },
  });
  return {
    get(connection) {
      const sink = registry.get(connection);
      let view = wrapped.get(sink);
      if (!view) {
        view = observed(sink);
        wrapped.set(sink, view);
      }
      return view;
    },
    close: () => registry.close(),
  };
}
