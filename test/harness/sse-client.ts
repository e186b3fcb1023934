// A Server-Sent Events client over fetch, as an Airflow trigger or a dashboard would follow
// /v1/events: it parses frames (id, event, data, comments) as they arrive and can be closed
// at any point (the server must notice). Used by the events tests and the fan-out benchmark.
import { waitFor } from './wait-for.ts';

export type SseFrame = { id?: string; event: string; data: string; receivedAt: number };

export type SseClient = {
  status: number;
  headers: Headers;
  /** Frames with data, in arrival order (comments are not frames). */
  frames: SseFrame[];
  comments: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Waits until `check` over the frames so far returns a value. */
  until<T>(what: string, check: (frames: SseFrame[]) => T | undefined, timeoutMs?: number): Promise<T>;
  /** The last `id:` received: what to send as Last-Event-ID. */
  lastId(): string | undefined;
  close(): void;
  /** Called for each frame as it arrives (the benchmark timestamps them). */
  onFrame?: (frame: SseFrame) => void;
};

export async function openSse(url: string, apiKey: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  let lastId: string | undefined;
  const client: SseClient = {
    status: response.status,
    headers: response.headers,
    frames,
    comments,
    ended: Promise.resolve(),
    until: (what, check, timeoutMs = 60_000) => waitFor(what, async () => check(frames), timeoutMs, 20),
    lastId: () => lastId,
    close: () => abort.abort(),
  };
  if (!response.ok || !response.body) return client;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  client.ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id:')) frame.id = line.slice(3).trim();
            else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
            else if (line.startsWith('data:')) frame.data.push(line.slice(5).trimStart());
          }
          if (frame.data.length === 0) continue;
          if (frame.id !== undefined) lastId = frame.id;
          const parsed: SseFrame = { ...(frame.id !== undefined ? { id: frame.id } : {}), event: frame.event, data: frame.data.join('\n'), receivedAt: performance.timeOrigin + performance.now() };
          frames.push(parsed);
          client.onFrame?.(parsed);
        }
      }
    } catch {
      // Closed by us (abort): the stream simply ends.
    }
  })();
  return client;
}
