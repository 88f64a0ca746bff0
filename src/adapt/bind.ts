import type { ConfigValue, Helper } from './helper.ts';
import { registerDirective } from './registry.ts';

/**
 * `bind <hosts…> { protocols h1 h2 h3 }` (Caddy's bind directive): the listener hosts for the site's keys. The value
 * is read by the address pairing (pairing.ts), never by the Worker, which has no sockets of its own.
 */
registerDirective('bind', (h: Helper): ConfigValue[] => {
  h.next(); // directive name
  const addresses = h.remainingArgs();
  let protocols: string[] = [];
  for (const n = h.nesting(); h.nextBlock(n); ) {
    if (h.val() !== 'protocols') throw h.err(`unknown subdirective: ${h.val()}`);
    protocols = h.remainingArgs();
    if (!protocols.length) throw h.err('protocols requires one or more arguments');
  }
  return [{ class: 'bind', value: { addresses, protocols } }];
});
