import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { PARTITION_MAX } from '../http/input';
import { FORMATS } from './record-codec';

/**
 * A record key or value as JSON: any JSON value in the json format; a string in the string
 * (UTF-8 text) and binary (base64) formats.
 */
const JSON_VALUE = {
  oneOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'null' },
  ],
};

const IN_FORMAT = `json: any JSON value, nested at most ${LIMITS.jsonDepthMax} levels; string: a string; binary: a string of base64`;

/** A realistic create time: 2025-11-21, in ms since the epoch. */
const TIMESTAMP_EXAMPLE = 1763700000000;

export class HeaderDto {
  @ApiProperty({ minLength: 1, maxLength: LIMITS.headerKeyLengthMax, example: 'trace-id' })
  key!: string;
  @ApiProperty({ type: String, nullable: true, example: '4bf92f3577b34da6' })
  value!: string | null;
}

export class ProduceRecordDto {
  @ApiPropertyOptional({
    ...JSON_VALUE,
    description: `In keyFormat (${IN_FORMAT}); absent or null: no key. Records with the same key go to the same partition`,
    example: 'user-42',
  })
  key?: unknown;
  @ApiProperty({
    ...JSON_VALUE,
    description: `In valueFormat (${IN_FORMAT}); null is a tombstone`,
    example: { orderId: 'o-1001', amount: 42.5 },
  })
  value!: unknown;
  @ApiPropertyOptional({
    oneOf: [
      { type: 'object', additionalProperties: { type: 'string', nullable: true } },
      { type: 'array', items: { $ref: getSchemaPath(HeaderDto) } },
    ],
    description: `An object of string values, or a list of {key, value} for repeated keys; at most ${LIMITS.headersPerRecordMax}. Keys: 1-${LIMITS.headerKeyLengthMax} characters, no control characters`,
    example: { 'trace-id': '4bf92f3577b34da6' },
  })
  headers?: unknown;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: PARTITION_MAX,
    description: "Explicit partition; otherwise the key's, else a sticky one",
    example: 0,
  })
  partition?: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'Create time, ms since the epoch; default now',
    example: TIMESTAMP_EXAMPLE,
  })
  timestamp?: number;
}

export class ProduceRequestDto {
  @ApiPropertyOptional({
    enum: FORMATS,
    description: 'How keys are written; overrides the keyFormat query parameter. Default: string',
  })
  keyFormat?: string;
  @ApiPropertyOptional({
    enum: FORMATS,
    description: 'How values are written; overrides the valueFormat query parameter. Default: json',
  })
  valueFormat?: string;
  @ApiProperty({ type: [ProduceRecordDto], minItems: 1, maxItems: LIMITS.produceRecordsMax })
  records!: ProduceRecordDto[];
}

/** Request bodies shown in the document, each checked against ProduceRequestDto. */
export const PRODUCE_EXAMPLES = {
  json: {
    summary: 'JSON values, keys as strings',
    value: { records: [{ key: 'alice', value: { hello: 'world' } }] },
  },
  everything: {
    summary: 'Every field of a record',
    value: {
      keyFormat: 'string',
      valueFormat: 'json',
      records: [
        {
          key: 'user-42',
          value: { orderId: 'o-1001', amount: 42.5 },
          headers: { 'trace-id': '4bf92f3577b34da6' },
          partition: 0,
          timestamp: TIMESTAMP_EXAMPLE,
        },
      ],
    },
  },
  binary: {
    summary: 'Binary values (base64), repeated headers, a tombstone',
    value: {
      valueFormat: 'binary',
      records: [
        {
          key: 'sensor-7',
          value: 'AAECAwQ=',
          headers: [
            { key: 'hop', value: 'edge-1' },
            { key: 'hop', value: 'edge-2' },
          ],
        },
        { key: 'sensor-8', value: null },
      ],
    },
  },
};

export class RecordOffsetDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: PARTITION_MAX, example: 0 })
  partition!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: -1,
    description: '-1 with acks=0 (not known when the answer is sent)',
    example: 41,
  })
  offset!: number;
  @ApiProperty({ type: 'integer', format: 'int64', example: TIMESTAMP_EXAMPLE })
  timestamp!: number;
}

export class ProduceResponseDto {
  @ApiProperty({ type: [RecordOffsetDto], description: 'One per record, in request order' })
  offsets!: RecordOffsetDto[];
}

export class FetchedRecordDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: PARTITION_MAX, example: 0 })
  partition!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 41 })
  offset!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    description: 'Create time, ms since the epoch',
    example: TIMESTAMP_EXAMPLE,
  })
  timestamp!: number;
  @ApiProperty({
    ...JSON_VALUE,
    description: `In keyFormat (${IN_FORMAT}); null when the record has no key`,
    example: 'user-42',
  })
  key!: unknown;
  @ApiProperty({
    ...JSON_VALUE,
    description: `In valueFormat (${IN_FORMAT}); null for a tombstone`,
    example: { orderId: 'o-1001', amount: 42.5 },
  })
  value!: unknown;
  @ApiProperty({ type: [HeaderDto], description: 'In the order they were written' })
  headers!: HeaderDto[];
  @ApiPropertyOptional({
    enum: ['binary'],
    description: 'Present when the key is not valid JSON (keyFormat json) and is sent as base64',
  })
  keyFormat?: string;
  @ApiPropertyOptional({
    enum: ['binary'],
    description:
      'Present when the value is not valid JSON (valueFormat json) and is sent as base64',
  })
  valueFormat?: string;
}

export class FetchResponseDto {
  @ApiProperty({ type: [FetchedRecordDto] }) records!: FetchedRecordDto[];
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'The offset to fetch next',
    example: 42,
  })
  nextOffset!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'The offset after the last record every in-sync replica holds',
    example: 42,
  })
  highWatermark!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'The first offset still in the log',
    example: 0,
  })
  logStartOffset!: number;
}
