import {
  Agent,
  createServer,
  request as httpRequest,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { peerAddress, requestHeadersForWorkerd, responseHeadersForClient } from './forward-headers.ts';
import { checkRequest } from './request-check.ts';

/**
 * The front of a local runtime: an HTTP server on the user's address that checks each request (request-check.ts),
 * sets CF-Connecting-IP to the real peer, and streams it to workerd on a unix socket only this process can reach.
 * Bodies stream both ways; a failure on one side destroys the other, so a cut-off transfer never looks complete.
 */
export interface Front {
  server: Server;
  /** Closes the listener, every client connection and the pooled connections to workerd. */
  close(): void;
}

export function createFront(workerdSocket: string): Front {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  // The Host checks are ours (with Go's bodies); Node's own check would answer first.
  const server = createServer({ requireHostHeader: false });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const check = checkRequest(req);
    if (!check.ok) return answer(res, check.status, check.body);
    const peer = req.socket.remoteAddress;
    if (peer === undefined) return void req.destroy(); // the client is already gone
    const upstream = httpRequest({
      socketPath: workerdSocket,
      agent,
      method: req.method,
      path: check.path,
      headers: requestHeadersForWorkerd(req.rawHeaders, check.host, peerAddress(peer), false),
      setHost: false,
    });
    upstream.on('response', (upstreamRes) => {
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        upstreamRes.statusMessage,
        responseHeadersForClient(upstreamRes.rawHeaders),
      );
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
      upstreamRes.on('close', () => {
        if (!upstreamRes.complete) res.destroy();
      });
    });
    upstream.on('error', () => {
      if (res.headersSent) res.destroy();
      else answer(res, 502, '502 Bad Gateway');
    });
    req.pipe(upstream);
    req.on('error', () => upstream.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const check = checkRequest(req);
    if (!check.ok) return answerRaw(socket, check.status, check.body);
    const peer = req.socket.remoteAddress;
    if (peer === undefined) return void socket.destroy();
    socket.on('error', () => socket.destroy());
    const upstream = httpRequest({
      socketPath: workerdSocket,
      method: req.method,
      path: check.path,
      headers: requestHeadersForWorkerd(req.rawHeaders, check.host, peerAddress(peer), true),
      setHost: false,
    });
    upstream.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
      socket.write(`${statusLine(upstreamRes) + rawHeaderLines(upstreamRes.rawHeaders)}\r\n`);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('close', () => upstreamSocket.destroy());
      upstreamSocket.on('close', () => socket.destroy());
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
    });
    // Not upgraded: the answer goes back as is, delimited by closing the connection.
    upstream.on('response', (upstreamRes) => {
      const fields = responseHeadersForClient(upstreamRes.rawHeaders);
      socket.write(`${statusLine(upstreamRes) + rawHeaderLines(fields)}Connection: close\r\n\r\n`);
      upstreamRes.pipe(socket);
      upstreamRes.on('close', () => (upstreamRes.complete ? socket.end() : socket.destroy()));
    });
    upstream.on('error', () => answerRaw(socket, 502, '502 Bad Gateway'));
    socket.on('close', () => upstream.destroy());
    upstream.end();
  });

  // Node hands CONNECT to this event only; checkRequest answers it.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const check = checkRequest(req);
    answerRaw(socket, check.ok ? 400 : check.status, check.ok ? '400 Bad Request' : check.body);
  });

  return {
    server,
    close() {
      server.close();
      server.closeAllConnections();
      agent.destroy();
    },
  };
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}

function answerRaw(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function statusLine(res: IncomingMessage): string {
  return `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
}

function rawHeaderLines(raw: string[]): string {
  let out = '';
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return out;
}
