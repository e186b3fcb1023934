// Which engine runs an attempt (issue 12, ADR 0021): the embedded engine (DuckDB in a child
// process on the worker) for landings small enough and transforms it can translate, the
// pipeline's Spark launcher for the rest. The reason is said in words, because "why did this
// job take a JVM" is the first question on a slow day.
import type { FailureClass } from './job.ts';
import { formatSize } from './units.ts';

export type EngineKind = 'auto' | 'spark' | 'embedded';
export type Engine = 'embedded' | 'spark';
export type EngineChoice = { engine: Engine; reason: string };

export type EngineChoiceInputs = {
  /** engine.kind of the pipeline. */
  kind: EngineKind;
  /** engine.fallback: a platform failure of an embedded attempt retries on Spark. */
  fallbackToSpark: boolean;
  /** The inputs' total size; undefined when one of them could not be sized. */
  inputBytes: number | undefined;
  /** SLUICE_EMBEDDED_MAX_BYTES. */
  maxBytes: number;
  /** Why this worker cannot run the embedded engine (no Python environment), when it cannot. */
  embeddedUnavailable?: string | undefined;
  /** Why the embedded engine cannot run this transform (from the translation check at load), if it cannot. */
  untranslatable?: string | undefined;
  /** The attempt before this one, when there was one; `fellBack` when it ran on Spark because the embedded engine had failed (isFallback). */
  previous?: { attempt: number; engine: Engine; failureClass?: FailureClass | undefined; fellBack?: boolean } | undefined;
};

// Every choice made because the embedded engine failed says so in the same words at its end,
// so that the next attempt's choice can tell from the record.
const FALLBACK_WORDS = 'engine.fallback is spark';

/** Whether an attempt's recorded choice was Spark because an earlier attempt failed on the embedded engine. */
export const isFallback = (choice: EngineChoice): boolean => choice.engine === 'spark' && choice.reason.endsWith(FALLBACK_WORDS);

export function chooseEngine(inputs: EngineChoiceInputs): EngineChoice {
  const { kind, previous } = inputs;
  if (kind === 'spark') return { engine: 'spark', reason: 'spark: engine.kind is spark' };
  if (previous?.engine === 'embedded' && previous.failureClass === 'platform' && inputs.fallbackToSpark) {
    return { engine: 'spark', reason: `spark: attempt ${previous.attempt} on the embedded engine failed (platform) and ${FALLBACK_WORDS}` };
  }
  // Once fallen back, a job stays on Spark: going back to the embedded engine would meet the
  // same failure (its memory limit, say) again, every other attempt.
  if (previous?.engine === 'spark' && previous.fellBack && inputs.fallbackToSpark) {
    return { engine: 'spark', reason: `spark: attempt ${previous.attempt} ran on Spark after the embedded engine failed, and later attempts stay there: ${FALLBACK_WORDS}` };
  }
  if (kind === 'embedded') return { engine: 'embedded', reason: 'embedded: engine.kind is embedded' };
  if (inputs.embeddedUnavailable) return { engine: 'spark', reason: `spark: this worker has no embedded engine (${inputs.embeddedUnavailable})` };
  if (inputs.untranslatable) return { engine: 'spark', reason: `spark: the embedded engine cannot run this transform (${inputs.untranslatable})` };
  if (inputs.inputBytes === undefined) return { engine: 'spark', reason: 'spark: the inputs\' size could not be read' };
  const limit = `${formatSize(inputs.maxBytes)} (SLUICE_EMBEDDED_MAX_BYTES)`;
  if (inputs.inputBytes > inputs.maxBytes) return { engine: 'spark', reason: `spark: ${formatSize(inputs.inputBytes)} > ${limit}` };
  return { engine: 'embedded', reason: `embedded: ${formatSize(inputs.inputBytes)} ≤ ${formatSize(inputs.maxBytes)}` };
}
