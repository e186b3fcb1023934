// One attempt against a real HTTP server on this machine.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { postWebhook } from './webhook-post.ts';

const request = { headers: { 'Content-Type': 'application/json' }, body: '{}' };
let server: Server | undefined;

afterEach(async () => {
  const closing = server;
  server = undefined;
  if (!closing) return;
  closing.closeAllConnections();
  await new Promise((resolve) => closing.close(resolve));
});

describe('postWebhook', () => {
  it("leaves a large answer's body unread: the target never gets to send it all", async () => {
    const BODY_BYTES = 64 * 1024 * 1024;
    let sentAll!: Promise<boolean>;
    server = createServer((incoming, response) => {
      incoming.resume();
      sentAll = new Promise((resolve) => response.on('close', () => resolve(response.writableFinished)));
      response.writeHead(200, { 'Content-Length': String(BODY_BYTES) });
      // Written only as fast as the client takes it: one that reads nothing lets little past the socket buffers.
      const chunk = Buffer.alloc(64 * 1024);
      let written = 0;
      const writeMore = (): void => {
        while (written < BODY_BYTES) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', writeMore);
        }
        response.end();
      };
      writeMore();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(await postWebhook(`http://127.0.0.1:${port}/hook`, request, 30_000)).toEqual({ ok: true, status: 200 });
    expect(await sentAll, 'the whole body was sent: the client read it').toBe(false);
  });
});
