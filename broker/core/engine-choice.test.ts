// The engine an attempt runs on, and the reason the job shows for it.
import { describe, expect, it } from 'vitest';
import { chooseEngine, isFallback, type EngineChoiceInputs } from './engine-choice.ts';
import { formatSize } from './units.ts';

const GB = 1_000_000_000;
const base: EngineChoiceInputs = { kind: 'auto', fallbackToSpark: true, inputBytes: 46_000_000, maxBytes: 2 * GB };

describe('chooseEngine', () => {
  it.each<[string, Partial<EngineChoiceInputs>, string, string]>([
    ['a small landing on auto', {}, 'embedded', 'embedded: 46 MB ≤ 2 GB'],
    ['exactly the limit on auto', { inputBytes: 2 * GB }, 'embedded', 'embedded: 2 GB ≤ 2 GB'],
    ['a landing over the limit', { inputBytes: 3_100_000_000 }, 'spark', 'spark: 3.1 GB > 2 GB (SLUICE_EMBEDDED_MAX_BYTES)'],
    ['inputs that could not be sized', { inputBytes: undefined }, 'spark', "spark: the inputs' size could not be read"],
    ['a transform the embedded engine cannot translate', { untranslatable: 'filter: unknown function foo' }, 'spark', 'spark: the embedded engine cannot run this transform (filter: unknown function foo)'],
    ['a worker without the embedded engine', { embeddedUnavailable: 'no .venv/bin/python' }, 'spark', 'spark: this worker has no embedded engine (no .venv/bin/python)'],
    ['engine.kind spark, however small', { kind: 'spark' }, 'spark', 'spark: engine.kind is spark'],
    ['engine.kind embedded, however large', { kind: 'embedded', inputBytes: 50 * GB }, 'embedded', 'embedded: engine.kind is embedded'],
    [
      'a retry after an embedded platform failure',
      { previous: { attempt: 1, engine: 'embedded', failureClass: 'platform' } },
      'spark',
      'spark: attempt 1 on the embedded engine failed (platform) and engine.fallback is spark',
    ],
    ['a retry after an embedded platform failure, fallback off', { fallbackToSpark: false, previous: { attempt: 1, engine: 'embedded', failureClass: 'platform' } }, 'embedded', 'embedded: 46 MB ≤ 2 GB'],
    ['a retry after a Spark platform failure stays on auto\'s choice', { previous: { attempt: 1, engine: 'spark', failureClass: 'platform' } }, 'embedded', 'embedded: 46 MB ≤ 2 GB'],
    [
      'a retry after a fallen-back Spark attempt failed too stays on Spark',
      { previous: { attempt: 2, engine: 'spark', failureClass: 'platform', fellBack: true } },
      'spark',
      'spark: attempt 2 ran on Spark after the embedded engine failed, and later attempts stay there: engine.fallback is spark',
    ],
  ])('%s', (_case, overrides, engine, reason) => {
    expect(chooseEngine({ ...base, ...overrides })).toEqual({ engine, reason });
  });

  it('keeps a job that fell back on Spark for every later attempt: embedded, then Spark, Spark, Spark (not back and forth)', () => {
    const engines: string[] = [];
    let previous: EngineChoiceInputs['previous'];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const choice = chooseEngine({ ...base, ...(previous ? { previous } : {}) });
      engines.push(choice.engine);
      // Every attempt fails on the platform (the embedded engine past its memory, then Spark's cluster away).
      previous = { attempt, engine: choice.engine, failureClass: 'platform', fellBack: isFallback(choice) };
    }
    expect(engines).toEqual(['embedded', 'spark', 'spark', 'spark']);
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [46_000_000, '46 MB'],
    [46_400_000, '46.4 MB'],
    [123_456_789, '123 MB'],
    [2_000_000_000, '2 GB'],
  ])('%d → %s', (bytes, text) => expect(formatSize(bytes)).toBe(text));
});
