// Worker entry (thin): picks the config, runs the request pipeline. Filled in by the pipeline work (issue 3).
export default {
  async fetch(): Promise<Response> {
    return new Response('Gatehouse: request pipeline not built yet\n', { status: 501 });
  },
} satisfies ExportedHandler;
