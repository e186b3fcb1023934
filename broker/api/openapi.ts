// The OpenAPI document's header (info, tags) and how the document is built from an app's
// route definitions. The API serves it at /openapi.json; scripts/openapi.ts builds the same
// document offline (an app over inert dependencies) and writes docs/openapi.json, from which
// the TypeScript client types are generated (docs/adr/0016-public-api-contract.md).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from './api-env.ts';

export const OPENAPI_DOCUMENT_PATH = '/openapi.json';

type OpenApiConfig = Parameters<OpenAPIHono<ApiEnv>['getOpenAPI31Document']>[0];

/** A fresh copy each time: the generator may add to what it is given. */
const openApiConfig = (): OpenApiConfig => ({
  openapi: '3.1.0',
  info: {
    title: 'Sluice API',
    version: '1',
    description: 'Submit and watch Spark jobs. Errors are RFC 9457 problem+json with field paths.',
  },
  tags: [{ name: 'jobs' }, { name: 'pipelines' }, { name: 'landings' }, { name: 'queues' }, { name: 'health' }],
});

export type OpenApiDocument = ReturnType<OpenAPIHono<ApiEnv>['getOpenAPI31Document']>;

/** The document of every route registered on the app (what /openapi.json answers). */
export function openApiDocument(app: OpenAPIHono<ApiEnv>): OpenApiDocument {
  return app.getOpenAPI31Document(openApiConfig());
}
