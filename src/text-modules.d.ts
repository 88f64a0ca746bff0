// Files bundled as text by the `[[rules]] type = "Text"` entry in wrangler.toml.
declare module '*/Caddyfile' {
  const text: string;
  export default text;
}

// The bundled Caddyfile adapted at build time (scripts/pre-adapt-caddyfile.mjs).
declare module '*.adapted' {
  const text: string;
  export default text;
}
