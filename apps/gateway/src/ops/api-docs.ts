// OpenAPI helpers: the problem+json schema, a decorator that documents a route's error
// codes (one example per code, grouped by status), and the path and query parameters the routes
// share, each with the type and the bounds the code enforces.
import { applyDecorators } from '@nestjs/common';
import {
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
} from '@nestjs/swagger';
import { ERRORS, type ErrorCode, LIMITS } from '@tributary/common';
import { METADATA_LIMITS } from '@tributary/metadata';
import { PARTITION_MAX } from '../http/input';
import { FORMATS } from '../records/record-codec';

/** Names as the metadata store checks them (Kafka's rule for topics). */
export const TENANT_NAME_PATTERN = '^[a-z0-9-]{1,63}$';
export const TOPIC_NAME_PATTERN = '^[a-zA-Z0-9._-]{1,249}$';
/** Where to read from: earliest, latest, or a timestamp in ms since the epoch. */
export const POSITION_PATTERN = '^(earliest|latest|[0-9]{1,16})$';

export class ProblemDto {
  @ApiProperty({
    description: 'urn:tributary:error: and the code',
    example: 'urn:tributary:error:UNKNOWN_TOPIC_OR_PARTITION',
  })
  type!: string;
  @ApiProperty({ example: 'Unknown topic or partition' })
  title!: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 })
  status!: number;
  @ApiProperty({ example: 'topic orders does not exist' })
  detail!: string;
  @ApiProperty({ enum: Object.keys(ERRORS), example: 'UNKNOWN_TOPIC_OR_PARTITION' })
  code!: string;
  @ApiProperty({
    description: 'Whether the same request may succeed when retried',
    example: false,
  })
  retriable!: boolean;
  @ApiProperty({
    description: 'The X-Request-Id of the request, as the server log names it',
    example: '0b6c2f1e-4a7d-4a53-9c1f-2f3c4d5e6f70',
  })
  requestId!: string;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'OFFSET_OUT_OF_RANGE only',
  })
  logStartOffset?: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'OFFSET_OUT_OF_RANGE only',
  })
  highWatermark?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'With a Retry-After header: the same number of seconds',
  })
  retryAfterSeconds?: number;
}

const EXAMPLE_DETAIL: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'an Authorization: Bearer header is required',
  FORBIDDEN: 'this key may not write topic "orders"',
  QUOTA_EXCEEDED: 'produce quota of 1048576 bytes/s exceeded; retry after 1 s',
  UNAVAILABLE: 'the metadata database is unavailable; retry shortly',
  OFFSET_OUT_OF_RANGE: 'offset 120 is outside [0, 100]',
};

/** Statuses whose answers say when to retry. */
const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description:
      'Seconds to wait before retrying; sent with QUOTA_EXCEEDED, and with UNAVAILABLE while Postgres or Redis is away',
    schema: { type: 'integer', minimum: 1 },
  },
};

/**
 * Documents the errors a route answers with. UNAVAILABLE and INTERNAL are added to every
 * route: any may find Postgres or Redis away, or the node overloaded.
 */
export function ApiProblems(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, 'UNAVAILABLE', 'INTERNAL'])) {
    const { status } = ERRORS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus.entries()].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.join(', '),
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER_HEADER } : {}),
        content: {
          'application/problem+json': {
            schema: { $ref: '#/components/schemas/ProblemDto' },
            examples: Object.fromEntries(
              list.map((code) => [
                code,
                {
                  summary: ERRORS[code].title,
                  value: {
                    type: `urn:tributary:error:${code}`,
                    title: ERRORS[code].title,
                    status,
                    detail: EXAMPLE_DETAIL[code] ?? ERRORS[code].title,
                    code,
                    retriable: ERRORS[code].retriable,
                    requestId: '0b6c2f1e-4a7d-4a53-9c1f-2f3c4d5e6f70',
                    ...(code === 'OFFSET_OUT_OF_RANGE'
                      ? { logStartOffset: 0, highWatermark: 100 }
                      : {}),
                    ...(code === 'QUOTA_EXCEEDED' || code === 'UNAVAILABLE'
                      ? { retryAfterSeconds: 1 }
                      : {}),
                  },
                },
              ]),
            ),
          },
        },
      }),
    ),
  );
}

/** A route that takes the operator token, and the errors it answers with. */
export const ApiOperator = (...codes: ErrorCode[]) =>
  applyDecorators(ApiSecurity('operator'), ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', ...codes));

/** A route that takes the operator token or a tenant API key. */
export const ApiAnyCredential = (...codes: ErrorCode[]) =>
  applyDecorators(
    ApiSecurity('operator'),
    ApiSecurity('apiKey'),
    ApiProblems('UNAUTHENTICATED', ...codes),
  );

/** A route that takes a tenant API key, and the errors it answers with. */
export const ApiTenant = (...codes: ErrorCode[]) =>
  applyDecorators(ApiSecurity('apiKey'), ApiProblems('UNAUTHENTICATED', 'FORBIDDEN', ...codes));

/** The path parameters several routes share. */
export const ApiTenantParam = () =>
  ApiParam({
    name: 'tenant',
    description: "The tenant's name",
    schema: { type: 'string', pattern: TENANT_NAME_PATTERN },
  });

export const ApiTopicParam = () =>
  ApiParam({
    name: 'topic',
    description: "The topic's name",
    schema: { type: 'string', pattern: TOPIC_NAME_PATTERN },
  });

export const ApiPartitionParam = () =>
  ApiParam({
    name: 'partition',
    description: 'The partition number, from 0',
    schema: { type: 'integer', minimum: 0, maximum: PARTITION_MAX },
  });

export const ApiGroupParam = () =>
  ApiParam({
    name: 'group',
    description: `The consumer group id: 1-${METADATA_LIMITS.groupIdLengthMax} characters of well-formed Unicode, no control characters`,
    schema: { type: 'string', minLength: 1, maxLength: METADATA_LIMITS.groupIdLengthMax },
  });

export const ApiMemberParam = () =>
  ApiParam({
    name: 'member',
    description: 'The memberId the join answered with',
    schema: { type: 'string', minLength: 1 },
  });

/** keyFormat and valueFormat, taken by every route that writes or reads records. */
export const ApiFormatQueries = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'keyFormat',
      required: false,
      description: 'How keys are written: json, string (UTF-8 text) or binary (base64)',
      schema: { type: 'string', enum: [...FORMATS], default: 'string' },
    }),
    ApiQuery({
      name: 'valueFormat',
      required: false,
      description: 'How values are written: json, string (UTF-8 text) or binary (base64)',
      schema: { type: 'string', enum: [...FORMATS], default: 'json' },
    }),
  );

/** What parseReadQuery reads: maxWaitMs (described per route), maxRecords, maxBytes, formats. */
export const ApiReadQueries = (maxWait: string): MethodDecorator =>
  applyDecorators(
    ApiQuery({
      name: 'maxRecords',
      required: false,
      description: 'At most this many records',
      schema: {
        type: 'integer',
        minimum: 1,
        maximum: LIMITS.fetchRecordsMax,
        default: LIMITS.fetchRecordsDefault,
      },
    }),
    ApiQuery({
      name: 'maxBytes',
      required: false,
      description:
        'About this many bytes of records; a first batch larger than it is still returned',
      schema: {
        type: 'integer',
        minimum: 1,
        maximum: LIMITS.fetchBytesMax,
        default: LIMITS.fetchBytesDefault,
      },
    }),
    ApiQuery({
      name: 'maxWaitMs',
      required: false,
      description: maxWait,
      schema: { type: 'integer', minimum: 0, maximum: LIMITS.fetchWaitMsMax, default: 0 },
    }),
    ApiFormatQueries(),
  );
