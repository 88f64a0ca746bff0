// What a verb may touch of the outside world. main() builds it from the process; keeping it in one object lets the
// verbs stay free of process globals.

export interface CliContext {
  /** Directory relative paths (and the default ./Caddyfile) are resolved against. */
  cwd: string;
  /** Values for `{$VAR}` in a Caddyfile. */
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export function processContext(): CliContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
