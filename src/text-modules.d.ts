// Files bundled as text by the `[[rules]] type = "Text"` entry in wrangler.toml.
declare module '*/Caddyfile' {
  const text: string;
  export default text;
}
