// The door's routing, with in-memory fakes for the validator, the batcher and the quarantine:
// a good landing goes to the batcher, a bad one is quarantined with its reason and never
// batched, an unreadable one is looked at again later, and checks run a few at a time.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OperationalError } from '../broker/core/errors.ts';
import { LandingDoor, type DoorRoute } from './landing-door.ts';
import { Superseded } from './landing-validator.ts';
import type { ReadyLanding } from './landing-ledger.ts';

const log = pino({ level: 'silent' });

const landing = (name: string): ReadyLanding => ({ fingerprint: `fp-${name}`, source: 'fs:/in', path: name, uri: `/in/${name}`, size: 100, mtimeMs: 1 });

function fakes(verdicts: Record<string, () => Promise<string | undefined>>) {
  const batched: string[] = [];
  const quarantined: Array<{ fingerprints: string[]; reason: string }> = [];
  const moved: Array<[string, string]> = [];
  const reasonFiles = new Map<string, string>();
  const superseded: string[] = [];
  const route: DoorRoute = {
    pipeline: { name: 'p', input: { format: 'parquet', columns: { x: 'long' }, paths: [], not_null: [] }, after: { on_success: 'keep', quarantine: '/q' } },
    batcher: { add: async (file) => (batched.push(file.uri.slice('/in/'.length)), []) },
    log,
  };
  const door = (options: { concurrency?: number; retryDelaysMs?: number[] } = {}) =>
    new LandingDoor({
      validator: { check: (file) => verdicts[file.uri]!() },
      quarantine: {
        ledger: { quarantine: async (fingerprints, reason) => (quarantined.push({ fingerprints: [...fingerprints], reason }), [...fingerprints]) },
        files: {
          move: async (from, to) => void moved.push([from, to]),
          writeText: async (uri, text) => void reasonFiles.set(uri, text),
        },
      },
      ledger: { supersede: async (fingerprints) => (superseded.push(...fingerprints), [...fingerprints]) },
      ...options,
    });
  return { batched, quarantined, moved, reasonFiles, superseded, route, door };
}

describe('LandingDoor', () => {
  it('batches a landing that fits and quarantines one that does not, with its reason, never batching it', async () => {
    const { batched, quarantined, moved, reasonFiles, route, door } = fakes({
      '/in/good.parquet': async () => undefined,
      '/in/bad.parquet': async () => 'input /in/bad.parquet: column "x" is string, expected long',
    });
    const gate = door();
    await Promise.all([gate.admit(route, landing('good.parquet')), gate.admit(route, landing('bad.parquet'))]);
    expect(batched).toEqual(['good.parquet']);
    expect(quarantined).toEqual([{ fingerprints: ['fp-bad.parquet'], reason: 'input /in/bad.parquet: column "x" is string, expected long' }]);
    expect(moved).toEqual([['/in/bad.parquet', '/q/bad.parquet']]);
    expect(reasonFiles.get('/q/bad.parquet.reason.txt')).toContain('column "x" is string, expected long');
  });

  it('neither batches nor quarantines (nor moves) a landing whose file was rewritten since it was ready, closes it as superseded, and does not look again', async () => {
    let checks = 0;
    const { batched, quarantined, moved, superseded, route, door } = fakes({
      '/in/rewritten.parquet': async () => {
        checks += 1;
        throw new Superseded('/in/rewritten.parquet');
      },
    });
    await door({ retryDelaysMs: [0, 0] }).admit(route, landing('rewritten.parquet'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ batched, quarantined, moved, checks, superseded }).toEqual({ batched: [], quarantined: [], moved: [], checks: 1, superseded: ['fp-rewritten.parquet'] });
  });

  it('looks again at a landing whose footer could not be read, and batches it once it can', async () => {
    let reads = 0;
    const { batched, quarantined, route, door } = fakes({
      '/in/flaky.parquet': async () => {
        reads += 1;
        if (reads < 3) throw new OperationalError('mount hiccup');
        return undefined;
      },
    });
    const gate = door({ retryDelaysMs: [10, 10, 10] });
    await gate.admit(route, landing('flaky.parquet'));
    expect(batched).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reads).toBe(3);
    expect(batched).toEqual(['flaky.parquet']);
    expect(quarantined).toEqual([]);
    await gate.close();
  });

  it('runs at most `concurrency` checks at once, and checks a landing emitted twice meanwhile once', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = async (): Promise<undefined> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return undefined;
    };
    const names = Array.from({ length: 40 }, (_, i) => `f-${i}.parquet`);
    const { batched, route, door } = fakes(Object.fromEntries(names.map((name) => [`/in/${name}`, slow])));
    const gate = door({ concurrency: 4 });
    await Promise.all([...names, names[0]!].map((name) => gate.admit(route, landing(name))));
    expect(most).toBe(4);
    expect(batched.sort()).toEqual([...names].sort());
  });
});
