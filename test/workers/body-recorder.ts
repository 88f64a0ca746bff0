import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A loopback upstream that records, per `?key=K`, whether a request body arrived complete: Node's parser ends the
// request only after all Content-Length bytes or the terminating 0-chunk, so `end` means the proxy finished the
// request cleanly and a connection closed before it means the proxy aborted it. `GET /seen?key=K` answers what
// was recorded: {"state":"complete"|"aborted"|"pending"|"none","bytes":N}. The response direction: `/broken?n=N`
// sends N bytes of a chunked body and then resets the connection, a body that errors midway.

export interface BodyRecord {
  state: 'complete' | 'aborted' | 'pending' | 'none';
  bytes: number;
}

export interface BodyRecorder {
  readonly port: number;
  close(): Promise<void>;
}

export async function startBodyRecorder(): Promise<BodyRecorder> {
  const seen = new Map<string, BodyRecord>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.searchParams.get('key') ?? '';
    if (url.pathname === '/seen') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(seen.get(key) ?? { state: 'none', bytes: 0 }));
      return;
    }
    if (url.pathname === '/broken') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(Number(url.searchParams.get('n') ?? 5)));
      setTimeout(() => req.socket.destroy(), 50);
      return;
    }
    const rec: BodyRecord = { state: 'pending', bytes: 0 };
    seen.set(key, rec);
    req.on('data', (c: Buffer) => (rec.bytes += c.byteLength));
    req.on('end', () => {
      rec.state = 'complete';
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`received ${rec.bytes}`);
    });
    req.on('error', () => {});
    req.socket.on('close', () => {
      if (rec.state === 'pending') rec.state = 'aborted';
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    port,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
