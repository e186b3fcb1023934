// Closing a BullMQ Queue or Worker whose connections are still starting leaves an unhandled
// rejection behind: BullMQ's close() drops the connection's listeners and disconnects, then the
// start-up's version check fails with "Connection is closed" and its 'error' event has no
// listener left, so it throws where nobody can catch it. A process told to stop right after it
// started (a deploy rolled back, a test) hits this. Waiting for the connections first makes
// close() take its orderly QUIT path; the wait is bounded so that a close while Redis is away
// still ends.

/** How long close waits for starting connections; a reachable Redis answers in milliseconds. */
export const READY_WAIT_MS = 2_000;

type Closable = { waitUntilReady(): Promise<unknown>; close(): Promise<void> };

export async function closeWhenReady(target: Closable, waitMs = READY_WAIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  try {
    await Promise.race([target.waitUntilReady().catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
  await target.close();
}
