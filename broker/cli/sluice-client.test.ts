// The client wrapper's own logic, over an in-memory fetch: problem+json becomes one message
// with its field paths, a 503 is recognised as "try again", and an unreachable Sluice names
// SLUICE_URL instead of throwing fetch's bare TypeError. (Real answers: api-contract.test.ts.)
import { describe, expect, it } from 'vitest';
import { ApiError, isUnavailable, SluiceClient } from './sluice-client.ts';

const problem = (status: number, title: string, detail: string, errors: Array<{ path: string; message: string }> = []) =>
  new Response(JSON.stringify({ type: 'urn:sluice:problem:x', title, status, detail, instance: '/v1/jobs', requestId: 'r1', errors }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });

const clientAnswering = (answer: (request: Request) => Response | Promise<Response>) => {
  const requests: Request[] = [];
  const client = new SluiceClient('http://sluice.test/', 'sk_test_key', {
    fetch: async (request) => {
      requests.push(request);
      return answer(request);
    },
  });
  return { client, requests };
};

describe('SluiceClient', () => {
  it('sends the bearer key and the Idempotency-Key, to the generated path', async () => {
    const { client, requests } = clientAnswering(() => Response.json({ id: 'j1' }, { status: 201 }));
    await client.submit({ pipeline: 'sales' }, 'key-1');
    expect(requests[0]!.url).toBe('http://sluice.test/v1/jobs');
    expect(requests[0]!.headers.get('authorization')).toBe('Bearer sk_test_key');
    expect(requests[0]!.headers.get('idempotency-key')).toBe('key-1');
    expect(await requests[0]!.json()).toEqual({ pipeline: 'sales' });
  });

  it('turns a problem into an ApiError naming title, detail and every field path', async () => {
    const { client } = clientAnswering(() => problem(422, 'Unprocessable content', 'the request body has invalid fields', [{ path: 'parameters.day', message: 'expected a date' }]));
    const error = await client.submit({ pipeline: 'sales' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, problem: { errors: [{ path: 'parameters.day' }] } });
    expect((error as Error).message).toBe('Unprocessable content: the request body has invalid fields\n  parameters.day: expected a date');
    expect(isUnavailable(error)).toBe(false);
  });

  it('says which setting holds the key on a 401, and recognises a 503 as unavailable', async () => {
    const unauthorized = await clientAnswering(() => problem(401, 'Unauthorized', 'the API key is not valid')).client.job('j1').catch((caught: unknown) => caught);
    expect((unauthorized as Error).message).toMatch(/SLUICE_API_KEY/);
    const unavailable = await clientAnswering(() => problem(503, 'Service unavailable', 'Redis did not answer')).client.job('j1').catch((caught: unknown) => caught);
    expect(isUnavailable(unavailable)).toBe(true);
  });

  it('reports an unreachable Sluice as status 0 naming the URL and SLUICE_URL, as unavailable for now', async () => {
    const { client } = clientAnswering(() => {
      throw new TypeError('fetch failed');
    });
    const error = await client.job('j1').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 0 });
    expect((error as Error).message).toBe('cannot reach Sluice at http://sluice.test/ (SLUICE_URL): fetch failed');
    expect(isUnavailable(error)).toBe(true);
  });

  it('says why Sluice could not be reached: fetch hides it in the cause', async () => {
    const refused = clientAnswering(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }) });
    });
    expect(((await refused.client.job('j1').catch((caught: unknown) => caught)) as Error).message).toBe(
      'cannot reach Sluice at http://sluice.test/ (SLUICE_URL): fetch failed (connect ECONNREFUSED 127.0.0.1:8080)',
    );
    const anonymous = clientAnswering(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new AggregateError([]), { code: 'ECONNREFUSED' }) });
    });
    expect(((await anonymous.client.job('j1').catch((caught: unknown) => caught)) as Error).message).toMatch(/: fetch failed \(ECONNREFUSED\)$/);
  });

  it('submits with a key of its own and, while Sluice is unavailable, tries again with the same key (an unanswered submit may have made the job)', async () => {
    let answered = 0;
    const { client, requests } = clientAnswering(() => {
      answered += 1;
      if (answered === 1) throw new TypeError('fetch failed');
      if (answered === 2) return problem(503, 'Service unavailable', 'Redis did not answer in time; the request may or may not have been carried out');
      return Response.json({ id: 'j1' }, { status: 200 });
    });
    const retried: string[] = [];
    const job = await client.submit({ pipeline: 'sales' }, undefined, { pauseMs: 1, onRetry: (_error, key) => retried.push(key) });
    expect(job).toMatchObject({ id: 'j1' });
    const keys = requests.map((request) => request.headers.get('idempotency-key'));
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(retried).toEqual([keys[0], keys[0]]);
  });

  it('gives up after its tries naming the key to submit again with, and never retries a refusal', async () => {
    const unavailable = clientAnswering(() => problem(503, 'Service unavailable', 'Redis did not answer in time'));
    const error = await unavailable.client.submit({ pipeline: 'sales' }, 'key-7', { tries: 2, pauseMs: 1 }).catch((caught: unknown) => caught);
    expect(unavailable.requests).toHaveLength(2);
    expect((error as Error).message).toMatch(/submit again with --idempotency-key key-7/);
    const refused = clientAnswering(() => problem(422, 'Unprocessable content', 'bad'));
    await refused.client.submit({ pipeline: 'sales' }, undefined, { pauseMs: 1 }).catch(() => undefined);
    expect(refused.requests).toHaveLength(1);
  });

  it('reads an empty log (a 200 without a body) as an empty stream, not an error', async () => {
    const { client } = clientAnswering(() => new Response(null, { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Length': '0' } }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of await client.logs('j1', { tail: 10 })) chunks.push(chunk);
    expect(chunks).toEqual([]);
    const missing = await clientAnswering(() => problem(404, 'Not found', 'no job j1')).client.logs('j1', {}).catch((caught: unknown) => caught);
    expect(missing).toMatchObject({ status: 404 });
  });

  it('keeps a non-problem error body readable', async () => {
    const { client } = clientAnswering(() => new Response('bad gateway from the proxy', { status: 502, statusText: 'Bad Gateway' }));
    const error = await client.job('j1').catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('502 Bad Gateway: bad gateway from the proxy');
  });
});
