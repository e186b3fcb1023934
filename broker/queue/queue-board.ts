// The bull-board UI over Sluice's queue, built here because only queue/ may touch bullmq
// objects; the API mounts the returned Hono app behind an admin key and lets only GET and
// HEAD through (app.ts). The board is read-only: a step added, retried, promoted or removed
// behind the job records' back would break their story (cancel, retry and pause are API
// operations that keep it), so bull-board's own read-only mode hides its buttons and refuses
// its write routes too.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Queue } from 'bullmq';

export function queueBoard(queue: Queue): (basePath: string) => Hono {
  return (basePath) => {
    const adapter = new HonoAdapter(serveStatic);
    createBullBoard({ queues: [new BullMQAdapter(queue, { readOnlyMode: true })], serverAdapter: adapter });
    adapter.setBasePath(basePath);
    const app = new Hono();
    app.route(basePath, adapter.registerPlugin());
    return app;
  };
}
