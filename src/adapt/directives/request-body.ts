import type { HandlerJSON } from '../../config/caddy-json.ts';
import type { Helper } from '../helper.ts';
import { registerHandlerDirective } from '../registry.ts';
import { parseBytes } from './size.ts';

/** `request_body [<matcher>] { max_size <size>; set <body> }` → request_body handler. */
export function parseRequestBody(h: Helper): HandlerJSON {
  h.next(); // directive name
  const out: HandlerJSON = { handler: 'request_body' };
  for (const n = h.nesting(); h.nextBlock(n); ) {
    switch (h.val()) {
      case 'max_size': {
        const args = h.remainingArgs();
        if (args.length !== 1) throw h.argErr();
        let size: number;
        try {
          size = parseBytes(args[0]);
        } catch (e) {
          throw h.err(`parsing max_size: ${(e as Error).message}`);
        }
        if (size) out.max_size = size;
        else delete out.max_size;
        break;
      }
      case 'set': {
        const args = h.remainingArgs();
        if (args.length !== 1) throw h.argErr();
        if (args[0]) out.set = args[0];
        else delete out.set;
        break;
      }
      default:
        throw h.err(`unrecognized request_body subdirective '${h.val()}'`);
    }
  }
  return out;
}

registerHandlerDirective('request_body', parseRequestBody);
