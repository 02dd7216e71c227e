export { createFetchBackend, type FetchBackendOptions } from "./backend-fetch.js";
export {
  createHttp1Backend,
  type Http1Backend,
  type Http1BackendOptions,
} from "./backend-http1.js";
export { createUndiciBackend, type UndiciBackendOptions } from "./backend-undici.js";
export { parseRetryAfter, retryDelay } from "./backoff.js";
export { type BufferedBody, HIGH_WATER } from "./body-channel.js";
export { createHttpClient, type HttpClientOptions } from "./client.js";
export { DEFAULT_NET_CONFIG, resolveNetConfig } from "./config.js";
export type * from "./types.js";
