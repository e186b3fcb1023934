// The bull-board UI over Sluice's queue, built here because only queue/ may touch bullmq
// objects; the API mounts the returned Hono app behind an admin key.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Queue } from 'bullmq';

export function queueBoard(queue: Queue): (basePath: string) => Hono {
  return (basePath) => {
    const adapter = new HonoAdapter(serveStatic);
    createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: adapter });
    adapter.setBasePath(basePath);
    const app = new Hono();
    app.route(basePath, adapter.registerPlugin());
    return app;
  };
}
