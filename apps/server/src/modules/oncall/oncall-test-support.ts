import http from 'node:http';
import type { AddressInfo } from 'node:net';

export { startSmtp } from '../../../../../test-support/smtp.ts';

/**
 * Real local receivers for the on-call integration tests: an SMTP server and an HTTP server on
 * 127.0.0.1 that keep what they receive.
 */

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: { subject: string; text: string; data: Record<string, unknown> };
}

/** An HTTP receiver; `failing` paths answer 500 (a receiver that is down). */
export async function startReceiver() {
  const received: Received[] = [];
  const failing = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (failing.has(path)) {
        res.writeHead(500).end('down');
        return;
      }
      received.push({
        path,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    failing,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
