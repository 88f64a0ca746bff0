import { describe, expect, it } from 'vitest';
import type { HandlerJSON } from '../../src/config/caddy-json.ts';
import {
  handlerCompiler,
  registerHandler,
  type CompileDeps,
  type HandlerModule,
} from '../../src/http/handlers/index.ts';

// A handler module is one export ({ name, compile }) and one registerHandler line; the route compiler finds it by
// its JSON `handler` name.

const teapotHandler: HandlerModule = {
  name: 'test_teapot',
  compile: (json: HandlerJSON) => async () => new Response(String(json.body ?? ''), { status: 418 }),
};

registerHandler(teapotHandler);

describe('handler registry', () => {
  it('compiles a registered module by name', async () => {
    const handler = handlerCompiler('test_teapot', 'routes.0.handle.0')(
      { handler: 'test_teapot', body: 'short and stout' },
      {} as CompileDeps,
    );
    const res = await handler({} as never, async () => new Response('next'));
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('short and stout');
  });

  it('refuses a second module of the same name, and names the known ones for an unknown name', () => {
    expect(() => registerHandler({ name: 'reverse_proxy', compile: teapotHandler.compile })).toThrow(
      /already registered/,
    );
    expect(() => handlerCompiler('nope', 'routes.0.handle.0')).toThrow(
      /unknown handler "nope" \(supported: .*reverse_proxy.*test_teapot/,
    );
  });
});
