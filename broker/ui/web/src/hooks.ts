// Hooks the pages share: the live feed with its status, and a loader that re-reads on demand.
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentSession, messageOf, sessionEnded, type SluiceEvent } from './api.ts';
import { LiveFeed, type FeedStatus } from './live-feed.ts';

/** Follows `path` while the component lives; the handlers may change between renders. */
export function useLiveFeed(path: string, onEvent: (event: SluiceEvent) => void, onResync: () => void): FeedStatus {
  const [status, setStatus] = useState<FeedStatus>('connecting');
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  useEffect(() => {
    const feed = new LiveFeed(path, {
      event: (event) => handlers.current.onEvent(event),
      status: setStatus,
      resync: () => handlers.current.onResync(),
      // EventSource hides the status; a 401 is told apart from a 503 by asking about the session.
      refused: () => void currentSession().then((me) => (me ? undefined : sessionEnded()), () => undefined),
    });
    feed.start();
    return () => feed.stop();
  }, [path]);
  return status;
}

/** Calls `fn` at most once per `ms`, the last call winning (many events → one re-read). */
export function useCoalesced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  };
}

/** Re-reads `read` now and every `ms` while the component lives (and when `key` changes). */
export function usePolled<T>(read: () => Promise<T>, key: string, ms: number): { data: T | undefined; error: string | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      read().then(
        (value) => {
          if (stopped) return;
          setData(value);
          setError(undefined);
        },
        (failure: unknown) => !stopped && setError(messageOf(failure)),
      );
    void load();
    const timer = setInterval(() => void load(), ms);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [key]);
  return { data, error };
}
