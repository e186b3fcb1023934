import { describe, expect, it } from 'vitest';
import { traceIdOfRequest, traceIdOfTraceparent } from './request-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const VALID = `00-${TRACE}-00f067aa0ba902b7-01`;

describe('traceIdOfTraceparent', () => {
  it('takes the trace id of a W3C traceparent', () => {
    expect(traceIdOfTraceparent(VALID)).toBe(TRACE);
    expect(traceIdOfTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`)).toBe(TRACE);
  });

  it('reads a later version by its first four fields, as the W3C asks', () => {
    expect(traceIdOfTraceparent(`01-${TRACE}-00f067aa0ba902b7-01-future-fields`)).toBe(TRACE);
    expect(traceIdOfTraceparent(`01-${TRACE}-00f067aa0ba902b7-01`)).toBe(TRACE);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['version ff', `ff-${TRACE}-00f067aa0ba902b7-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero parent id', `00-${TRACE}-0000000000000000-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`],
    ['a short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['no flags', `00-${TRACE}-00f067aa0ba902b7`],
    ['markup', `00-${TRACE}-00f067aa0ba902b7-01<script>`],
    ['a newline inside', `00-${TRACE}\n-00f067aa0ba902b7-01`],
    ['a huge header', `00-${TRACE}-00f067aa0ba902b7-01-${'x'.repeat(600)}`],
  ])('ignores a malformed header (%s)', (_what, header) => {
    expect(traceIdOfTraceparent(header)).toBeUndefined();
  });
});

describe('traceIdOfRequest', () => {
  it('is the caller\'s trace when its traceparent is valid, else the request id', () => {
    expect(traceIdOfRequest(VALID, 'req-1')).toBe(TRACE);
    expect(traceIdOfRequest('garbage', 'req-1')).toBe('req-1');
    expect(traceIdOfRequest(undefined, 'req-1')).toBe('req-1');
  });
});
