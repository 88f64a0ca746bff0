/**
 * A config the runtime cannot serve: unknown handler module, unsupported option, malformed value. Thrown while
 * compiling (once per config per isolate), never while serving a request, so a bad config is rejected up front.
 */
export class ConfigError extends Error {
  /** Where in the JSON the problem is, e.g. `apps.http.servers.srv0.routes[2].handle[0]`. */
  readonly path: string;
  constructor(message: string, path = '') {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ConfigError';
    this.path = path;
  }
}
