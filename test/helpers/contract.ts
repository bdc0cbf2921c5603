import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { openApiDocument } from '../../src/api/openapi.ts';

type Json = Record<string, any>;
const doc = openApiDocument() as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'hangar:components', components: doc.components }, 'components');

/** A response schema of the document, its `$ref`s pointing at the components ajv knows. */
const resolveRefs = (s: unknown): object => JSON.parse(JSON.stringify(s).replaceAll('"#/components/', '"hangar:components#/components/'));

/**
 * Check an answer against what the OpenAPI document says `method template` answers: the status
 * is documented for it, and the body validates against that status's schema for its content type.
 *
 * @example
 * expectDocumented('get', '/v1/instances/{id}', res.status, res.headers.get('content-type'), await res.json());
 */
export function expectDocumented(method: string, template: string, status: number, contentType: string | null, body: unknown): void {
  const where = `${method.toUpperCase()} ${template} → ${status}`;
  const response = (doc.paths[template]?.[method]?.responses as Json | undefined)?.[String(status)] as Json | undefined;
  expect(response, `${where} is not documented`).toBeDefined();
  const type = (contentType ?? '').split(';')[0].trim();
  const schema = response!.content?.[type]?.schema;
  expect(schema, `${where} ${type} has no schema`).toBeDefined();
  const validate = ajv.compile(resolveRefs(schema));
  validate(body);
  expect(validate.errors ?? [], `${where}: ${JSON.stringify(body).slice(0, 400)}`).toEqual([]);
}

/**
 * A typed call's answer (`h.client.GET(…)`), checked with {@link expectDocumented}; its body.
 *
 * @example
 * const page = documented('get', '/v1/instances', await h.client.GET('/v1/instances'));
 */
export function documented<T>(method: string, template: string, r: { data?: T; response: Response }): T {
  expectDocumented(method, template, r.response.status, r.response.headers.get('content-type'), r.data);
  return r.data as T;
}

/**
 * A raw answer (`h.api(…)`: an error, any status), checked with {@link expectDocumented}; its JSON body.
 *
 * @example
 * const problem = await documentedRaw('get', '/v1/instances/{id}', await h.api('/v1/instances/nope'));
 */
export async function documentedRaw(method: string, template: string, res: Response): Promise<any> {
  const body = res.status === 204 ? undefined : await res.json();
  expectDocumented(method, template, res.status, res.headers.get('content-type'), body);
  return body;
}
