import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, at every depth', () => {
    const a = { pipeline: 'p', parameters: { site: 's1', day: '2025-01-01' }, labels: { team: 'x', env: 'prod' } };
    const b = { labels: { env: 'prod', team: 'x' }, parameters: { day: '2025-01-01', site: 's1' }, pipeline: 'p' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('sorts keys inside objects held in arrays', () => {
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe(canonicalJson([{ a: 2, b: 1 }]));
  });

  it('keeps array order, which is meaningful', () => {
    expect(canonicalJson({ inputs: ['a', 'b'] })).not.toBe(canonicalJson({ inputs: ['b', 'a'] }));
  });

  it('writes valid, compact JSON with sorted keys', () => {
    const text = canonicalJson({ z: [1, 'two', true, null], a: { y: 'q"uote', x: 1.5 } });
    expect(text).toBe('{"a":{"x":1.5,"y":"q\\"uote"},"z":[1,"two",true,null]}');
    expect(JSON.parse(text)).toEqual({ a: { x: 1.5, y: 'q"uote' }, z: [1, 'two', true, null] });
  });

  it('leaves out undefined fields, as JSON does, so that an absent and an undefined field hash the same', () => {
    expect(canonicalJson({ a: 1, inputs: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('tells different values apart', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: {} })).not.toBe(canonicalJson({ a: [] }));
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });
});
