import { isTLS, protoMajor, requestProto } from '../placeholders/request.ts';
import type { Matcher } from '../types.ts';
import { matcherError, type MatcherCompileContext } from './types.ts';

// `protocol`: http | https | grpc | http/1.0 | http/1.1 | http/2 | http/3, and `http/N+` for "at least".
// At the edge the HTTP version comes from request.cf.httpProtocol.
export function compileProtocol(json: unknown, c: MatcherCompileContext): Matcher {
  if (typeof json !== 'string') throw matcherError(c, 'protocol must be a string');
  const p = json; // compared exactly, as Caddy does
  switch (p) {
    case 'http':
      return (ctx) => !isTLS(ctx);
    case 'https':
      return (ctx) => isTLS(ctx);
    case 'grpc':
      return (ctx) => (ctx.request.headers.get('content-type') ?? '').startsWith('application/grpc');
  }
  const m = /^http\/(1\.0|1\.1|2|3)(\+?)$/.exec(p);
  if (!m) return () => false; // Caddy accepts any value; unknown ones never match
  const want = m[1] === '1.0' ? 10 : m[1] === '1.1' ? 11 : Number(m[1]) * 10;
  const atLeast = m[2] === '+';
  return (ctx) => {
    const major = protoMajor(ctx);
    const have = major === 1 ? (requestProto(ctx) === 'HTTP/1.0' ? 10 : 11) : major * 10;
    return atLeast ? have >= want : have === want;
  };
}
