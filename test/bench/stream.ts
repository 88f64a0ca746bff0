import { createServer, type Server } from 'node:http';
import { rssBytes } from './servers.ts';

// Memory under streaming (issue 9 §5): a 200 MB download and a 200 MB upload pass through Gatehouse while the
// workerd process's resident memory is sampled. Flat memory means the body streams instead of being buffered.

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** GET /download/<MB> streams that many MiB; any other request is drained and answered with the byte count. */
export function startStreamUpstream(port: number): Promise<Server> {
  const srv = createServer((req, res) => {
    const m = /^\/download\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      let left = Number(m[1]) * 1024 * 1024;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(left) });
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.end(`received ${received}\n`));
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

export interface StreamResult {
  bytes: number;
  seconds: number;
  baselineRss: number;
  peakRss: number;
}

/** Samples the process's RSS every 20 ms while `work` runs. */
async function sampled(pid: number, work: () => Promise<number>): Promise<StreamResult> {
  const baselineRss = rssBytes(pid);
  let peakRss = baselineRss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid))), 20);
  const t0 = performance.now();
  try {
    const bytes = await work();
    return { bytes, seconds: (performance.now() - t0) / 1000, baselineRss, peakRss: Math.max(peakRss, rssBytes(pid)) };
  } finally {
    clearInterval(timer);
  }
}

export function measureDownload(pid: number, url: string): Promise<StreamResult> {
  return sampled(pid, async () => {
    const res = await fetch(url);
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    return bytes;
  });
}

export function measureUpload(pid: number, url: string, mb: number): Promise<StreamResult> {
  return sampled(pid, async () => {
    let left = mb * 1024 * 1024;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left <= 0) return controller.close();
        const n = Math.min(left, CHUNK.length);
        left -= n;
        controller.enqueue(new Uint8Array(CHUNK.subarray(0, n)));
      },
    });
    const res = await fetch(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
    const text = await res.text();
    const m = /received (\d+)/.exec(text);
    if (!m) throw new Error(`upload through Gatehouse failed: ${res.status} ${text.slice(0, 200)}`);
    return Number(m[1]);
  });
}
