import { createServer, type Server } from 'node:http';

/**
 * Small upstreams for `npm start` (`gatehouse run --demo`): each answers with its name, the path it saw and the
 * forwarded headers, and has a /health endpoint, so a new user sees round-robin load balancing and health
 * checks work offline.
 */
export async function startDemoUpstreams(ports = [9001, 9002, 9003], host = '127.0.0.1'): Promise<Server[]> {
  const servers: Server[] = [];
  for (const [i, port] of ports.entries()) {
    const name = `upstream-${i + 1}`;
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok\n');
        return;
      }
      const body = JSON.stringify(
        {
          upstream: name,
          method: req.method,
          path: req.url,
          forwardedFor: req.headers['x-forwarded-for'] ?? null,
          forwardedHost: req.headers['x-forwarded-host'] ?? null,
        },
        null,
        2,
      );
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': name });
      res.end(`${body}\n`);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      // A port in use: the ones already open must not keep the process alive.
      for (const s of servers) s.close();
      throw e;
    }
    servers.push(server);
  }
  return servers;
}
