/**
 * The API contract the clients (the CLI, the dashboard, the tests) speak through: the types
 * generated from the OpenAPI document (schema.d.ts, named in types.ts), a typed client over
 * openapi-fetch, the API's errors and the SSE parser. Nothing here imports the server, and
 * nothing needs Node: the browser bundle imports it as it is.
 *
 * @example
 * import { body, createApiClient } from '../api/contract/index.ts';
 * const api = createApiClient({ baseUrl: url, apiKey });
 * const { items } = await body(api.GET('/v1/instances'));
 */
export { body, createApiClient, type ApiClient, type ApiClientOptions } from './client.ts';
export { ApiError, causeOf, isAbort, NetworkError, problemOf, type FieldError, type Problem } from './errors.ts';
export { readEvents, SseParser, type SseMessage } from './sse.ts';
export type * from './types.ts';
