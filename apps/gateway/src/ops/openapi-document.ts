// The OpenAPI 3.1 document, generated from the controllers' decorators: served at /openapi.json
// (Swagger UI at /docs) and committed as openapi/openapi.json by `npm run openapi`. Tests keep
// the committed file fresh, lint it with Redocly's recommended rules and compile TypeScript
// written against the types openapi-typescript generates from it.
import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { assert } from '@tributary/common';
import { ProblemDto } from './api-docs';

const DESCRIPTION =
  "Multi-tenant event streaming with Kafka's model over HTTP: topics split into partitions, " +
  'records at dense offsets, producers choosing acks, consumer groups. Tenant routes take a ' +
  'tenant API key, operator routes the operator token, both as `Authorization: Bearer <token>`. ' +
  'Errors are `application/problem+json` (RFC 9457) with a stable `code` and `retriable`. The ' +
  'WebSocket endpoint `GET /v1/ws` (JSON text frames; a subscription may ask for binary frames ' +
  'that carry the stored record batches instead) is described in docs/API.md.';

/** Tags in the order Swagger UI shows them. */
const TAGS: readonly (readonly [string, string])[] = [
  ['topics', 'Create, describe, alter and delete topics; offsets by time; delete records'],
  ['records', 'Produce records, fetch them by partition and offset, or stream them as events'],
  ['groups', 'Consumer groups: members join, poll, commit and seek; list, describe and reset'],
  ['websocket', 'Tickets for browsers, which cannot send a header on a WebSocket or EventSource'],
  ['cluster', "The nodes of the cluster, and the operator's cluster operations"],
  ['operator', 'Tenants and their API keys, managed with the operator token'],
  ['service', 'Liveness, readiness and metrics; no credential'],
];

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Tributary')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    // Relative to where the document is read from: the node that serves it, since every node
    // serves the whole API. A client built from the committed copy is given its node's URL
    // (http://localhost:8080 for `npm start`).
    .addServer('/', 'The node serving this document; every node serves the whole API')
    // Opaque secrets, not JWTs: the scheme says bearer and nothing of the token's format.
    .addSecurity('apiKey', {
      type: 'http',
      scheme: 'bearer',
      description:
        'A tenant API key (`trb_` and 32 more characters), created by the operator and shown ' +
        'once. An opaque secret: the tenant and the permissions are taken from it.',
    })
    .addSecurity('operator', {
      type: 'http',
      scheme: 'bearer',
      description:
        'The operator token: TRIBUTARY_ADMIN_TOKEN, or the one a node generates into ' +
        '<DATA_DIR>/admin-token. It manages tenants, keys and the cluster, and has no data rights.',
    });
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    extraModels: [ProblemDto],
    // Every route names its operationId; this only keeps Nest's Controller_method out of sight.
    operationIdFactory: (controller, method) => method + controller.replace(/Controller$/, ''),
  });
  nullableAsTypeArrays(document);
  return document;
}

/**
 * Nest writes OpenAPI 3.0's `nullable: true`, which 3.1 dropped for JSON Schema's own spelling:
 * a nullable `type: T` becomes `type: [T, 'null']` (and `null` joins its enum).
 */
function nullableAsTypeArrays(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) nullableAsTypeArrays(item);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if ('nullable' in schema) {
    if (schema.nullable === true) {
      assert(
        typeof schema.type === 'string',
        () => `nullable without a type: ${JSON.stringify(schema)}`,
      );
      schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    }
    delete schema.nullable;
  }
  for (const value of Object.values(schema)) nullableAsTypeArrays(value);
}
