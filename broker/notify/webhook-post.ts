// One attempt to POST a webhook: a 2xx answered within the timeout is delivered; any other
// status (redirects are not followed), a timeout or a connection error is a failed attempt.
// What a failure says never holds the target's URL (it may carry a token).
import type { WebhookRequest } from './webhook-signature.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type PostOutcome = { ok: boolean; status?: number; error?: string };

export async function postWebhook(url: string, request: WebhookRequest, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<PostOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal });
    // The answer's body is not needed: cancelled unread, so that a large one is never held in
    // memory (the connection is then closed rather than reused, which a webhook can afford).
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `the target answered ${response.status}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, error: `no answer within ${timeoutMs / 1_000} s` };
    return { ok: false, error: `could not reach the target: ${connectionProblem(error)}` };
  }
}

/** A connection error's code (ECONNREFUSED, ENOTFOUND, …): node's messages name the host and port. */
function connectionProblem(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'connection failed';
}
