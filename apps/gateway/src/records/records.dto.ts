import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';

export class HeaderDto {
  @ApiProperty() key!: string;
  @ApiProperty({ type: String, nullable: true }) value!: string | null;
}

export class ProduceRecordDto {
  @ApiPropertyOptional({
    description: `In keyFormat; absent or null: no key. As json, at most ${LIMITS.jsonDepthMax} levels of arrays and objects`,
    example: 'user-42',
  })
  key?: unknown;
  @ApiProperty({
    description: `In valueFormat; null is a tombstone. As json, at most ${LIMITS.jsonDepthMax} levels of arrays and objects`,
    example: { amount: 42 },
  })
  value!: unknown;
  @ApiPropertyOptional({
    description: `An object of string values, or a list of {key, value} for repeated keys. Keys: 1-${LIMITS.headerKeyLengthMax} characters, no control characters`,
    example: { trace: 'abc' },
  })
  headers?: unknown;
  @ApiPropertyOptional({ description: 'Explicit partition; otherwise by key, else sticky' })
  partition?: number;
  @ApiPropertyOptional({ description: 'Create time, ms since the epoch; default now' })
  timestamp?: number;
}

export class ProduceRequestDto {
  @ApiPropertyOptional({ enum: ['json', 'string', 'binary'], default: 'string' })
  keyFormat?: string;
  @ApiPropertyOptional({ enum: ['json', 'string', 'binary'], default: 'json' })
  valueFormat?: string;
  @ApiProperty({ type: [ProduceRecordDto] })
  records!: ProduceRecordDto[];
}

export class RecordOffsetDto {
  @ApiProperty() partition!: number;
  @ApiProperty({ description: '-1 with acks=0 (not known when the answer is sent)' })
  offset!: number;
  @ApiProperty() timestamp!: number;
}

export class ProduceResponseDto {
  @ApiProperty({ type: [RecordOffsetDto], description: 'One per record, in request order' })
  offsets!: RecordOffsetDto[];
}

export class FetchedRecordDto {
  @ApiProperty() partition!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() timestamp!: number;
  @ApiProperty({ description: 'In keyFormat; null when absent' }) key!: unknown;
  @ApiProperty({ description: 'In valueFormat; null for a tombstone' }) value!: unknown;
  @ApiProperty({ type: [HeaderDto] }) headers!: HeaderDto[];
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
  @ApiProperty({ description: 'The offset to fetch next' }) nextOffset!: number;
  @ApiProperty() highWatermark!: number;
  @ApiProperty() logStartOffset!: number;
}
