// Stands in for Node's `crypto` in the bundle (wrangler.toml [alias]). bcryptjs imports it only as a fallback for
// WebCrypto's getRandomValues, which the Workers runtime has, and only to make salts (Gatehouse only verifies
// hashes). Importing a Node built-in makes the runtime evaluate that module in every new isolate, before the
// first request: ~3-5 ms of workerd start-up for node:crypto on the CI machine.
export default {};
