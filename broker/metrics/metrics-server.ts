// GET /metrics of a worker or watcher process, on a port of its own (SLUICE_METRICS_PORT):
// those roles have no HTTP API to hang it on. It answers nothing else but /healthz, takes no
// key (the usual Prometheus scrape of a pod port), and listens on SLUICE_METRICS_HOST, which
// defaults to loopback: expose it only where the scraper needs it.
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { listenRefusal } from '../listen-refusal.ts';

export type MetricsServer = {
  /** The port it listens on (the chosen one when asked for port 0). */
  port: number;
  close(): Promise<void>;
};

export async function serveMetrics(registry: Registry, options: { host: string; port: number; logger: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : body),
      (error: unknown) => {
        // A gauge read on scrape could not reach Redis: say so, and let the scrape fail visibly.
        options.logger.warn({ err: (error as Error).message }, 'metrics scrape failed');
        response.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable; see the log\n');
      },
    );
  });
  // Idle keep-alive connections of a scraper must not hold up close().
  server.keepAliveTimeout = 5_000;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(listenRefusal(error, 'metrics', `${options.host}:${options.port}`, 'SLUICE_METRICS_PORT (0 for any free port, off for none) or SLUICE_METRICS_HOST')),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
  options.logger.info({ host: options.host, port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
