// workerd prints an "uncaught exception" report for a fetch() that failed even when the Worker handled the rejection:
// a refused or dropped upstream ("Network connection lost.") and a request body stream that errored (request_body's
// 413, or a test's client that goes away). These are workerd's own copies of errors the Worker already answers, and
// the workers pool gives no option to filter its log handler, so they are dropped here; any other such report fails
// the run at teardown, so a rejection our code leaves unhandled stays visible.

const REPORT = 'uncaught exception';
/** Errors the Worker handles that workerd still reports, as they appear in its reports. */
const HANDLED_BY_WORKER = [
  'Error: Network connection lost.',
  'Error: http: request body too large',
  'Error: client went away',
];

const unexpected: string[] = [];
let restore: (() => void) | undefined;

function keep(text: string): boolean {
  if (!text.includes(REPORT)) return true;
  if (HANDLED_BY_WORKER.some((m) => text.includes(m))) return false;
  unexpected.push(text.split('\n')[0] ?? text);
  return true;
}

/** Routes one of the process streams through keep(); returns the undo. */
function filter(stream: NodeJS.WriteStream): () => void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!keep(text)) return true;
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  return () => {
    stream.write = write;
  };
}

// workerd's reports reach the pool's log handler on stdout or stderr depending on their level.
export function setup(): void {
  const undo = [filter(process.stdout), filter(process.stderr)];
  restore = () => {
    for (const u of undo) u();
  };
}

export function teardown(): void {
  restore?.();
  if (unexpected.length > 0) {
    throw new Error(
      `workerd reported ${unexpected.length} unhandled rejection(s) during the workers tests:\n${unexpected.join('\n')}`,
    );
  }
}
