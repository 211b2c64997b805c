// Produce: JSON or NDJSON records -> one RecordBatch per partition -> BrokerClient.produce with
// the requested acks -> offsets in request order. Everything is validated before anything is
// written; with an Idempotency-Key a repeated request gets the first answer back (see
// idempotency.ts: the partitions themselves recognise the retry).
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, type Clock, LIMITS } from '@tributary/common';
import { MetadataCache, type Topic } from '@tributary/metadata';
import {
  type Acks,
  type BrokerClient,
  type Outcome,
  type ProduceResult,
} from '@tributary/partitions';
import { encodeRecordBatch } from '@tributary/protocol';
import { type Logger } from 'pino';
import { type TenantPrincipal } from '../auth/principal';
import { invalid, isObject, oneOf } from '../http/input';
import { BROKER_CLIENT, CLOCK, LOGGER } from '../node-services';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { findTopic, topicConfig } from '../topics/topic-access';
import { type KeyedProducer, keyedProducer, keylessPartition } from './idempotency';
import { Partitioner } from './partitioner';
import { QuotaService } from './quotas';
import { type Format, FORMATS, type ProduceRecord, toProduceRecord } from './record-codec';

export interface ProduceInput {
  topic: string;
  acks: string | undefined;
  /** The parsed JSON body, or the NDJSON text. */
  body: unknown;
  ndjson: boolean;
  bodyBytes: number;
  keyFormat: string | undefined;
  valueFormat: string | undefined;
  idempotencyKey: string | undefined;
}

export interface RecordOffset {
  partition: number;
  offset: number;
  timestamp: number;
}

export interface ProduceAnswer {
  status: 200 | 202;
  body: { offsets: RecordOffset[] };
  replayed: boolean;
}

interface PartitionBatch {
  partition: number;
  /** Request positions of the batch's records, in batch order. */
  indexes: number[];
  batch: Buffer;
}

@Injectable()
export class ProduceService {
  private readonly partitioner = new Partitioner();

  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly quotas: QuotaService,
    private readonly metrics: GatewayMetrics,
  ) {}

  async produce(auth: TenantPrincipal, input: ProduceInput): Promise<ProduceAnswer> {
    const topic = findTopic(this.cache, auth, input.topic, 'write');
    const acks = parseAcks(input.acks);
    // Checked before the Idempotency-Key is: its hash serializes the body, so the body must be
    // one this service accepts (no deeper than LIMITS.jsonDepthMax) before it is hashed.
    const records = this.parseRecords(input);
    const producer =
      input.idempotencyKey === undefined
        ? undefined
        : keyedProducer(auth.tenant.id, topic.id, input.idempotencyKey, input);
    return this.write(auth, topic, acks, records, input, producer);
  }

  private async write(
    auth: TenantPrincipal,
    topic: Topic,
    acks: Acks,
    records: ProduceRecord[],
    input: ProduceInput,
    producer: KeyedProducer | undefined,
  ): Promise<ProduceAnswer> {
    const partitions = this.partitioner.assign(
      topic.id,
      topic.partitionCount,
      records,
      producer === undefined ? undefined : keylessPartition(producer, topic.partitionCount),
    );
    const config = topicConfig(topic);
    const batches = this.encode(records, partitions, config['max.message.bytes'], producer);
    this.quotas.check(auth.tenant, 'produce');
    this.quotas.checkStorage(auth.tenant);
    this.quotas.charge(auth.tenant, 'produce', input.bodyBytes);

    const timeoutMs = LIMITS.produceTimeoutMs;
    const tp = (partition: number) => ({ tenantId: topic.tenantId, topicId: topic.id, partition });
    const written = this.broker.produce(
      batches.map((b) => ({
        ...tp(b.partition),
        batch: b.batch,
        acks,
        timeoutMs,
        crcVerified: true,
      })),
    );
    this.metrics.countTraffic(
      'produce',
      auth.tenant.name,
      topic,
      records.length,
      batches.reduce((sum, b) => sum + b.batch.length, 0),
    );
    if (acks === 0) {
      written.then(
        (outcomes) => {
          const failed = outcomes.find((o) => !o.ok);
          if (failed !== undefined && !failed.ok)
            this.logger.warn({ err: failed.error, topic: topic.name }, 'acks=0 write failed');
        },
        (error: unknown) =>
          this.logger.warn({ err: error, topic: topic.name }, 'acks=0 write failed'),
      );
      const offsets = records.map((r, i) => ({
        partition: partitions[i] ?? -1,
        offset: -1,
        timestamp: r.timestamp,
      }));
      return { status: 202, body: { offsets }, replayed: false };
    }
    const results = settle(await written, batches);
    const offsets = new Array<RecordOffset>(records.length);
    batches.forEach((b, i) => {
      const result = results[i] as ProduceResult;
      // A retry's records carry the timestamps they were first written with.
      const first = result.duplicate?.timestamps;
      b.indexes.forEach((index, j) => {
        offsets[index] = {
          partition: b.partition,
          offset: result.baseOffset + j,
          timestamp: first?.[j] ?? (records[index] as ProduceRecord).timestamp,
        };
      });
    });
    const replayed = results.every((r) => r.duplicate !== undefined);
    return { status: 200, body: { offsets }, replayed };
  }

  private parseRecords(input: ProduceInput): ProduceRecord[] {
    let keyFormat = format(input.keyFormat, 'keyFormat', 'string');
    let valueFormat = format(input.valueFormat, 'valueFormat', 'json');
    let raw: unknown[];
    if (input.ndjson) {
      raw = parseNdjson(input.body);
    } else {
      if (!isObject(input.body)) throw invalid('body', 'must be a JSON object with "records"');
      const { records, ...rest } = input.body;
      for (const field of Object.keys(rest)) {
        if (field !== 'keyFormat' && field !== 'valueFormat') {
          throw invalid(
            'body',
            `unknown field ${JSON.stringify(field)} (allowed: keyFormat, valueFormat, records)`,
          );
        }
      }
      if (rest.keyFormat !== undefined) keyFormat = format(rest.keyFormat, 'keyFormat', 'string');
      if (rest.valueFormat !== undefined)
        valueFormat = format(rest.valueFormat, 'valueFormat', 'json');
      if (!Array.isArray(records)) throw invalid('records', 'must be an array of records');
      raw = records;
    }
    if (raw.length === 0)
      throw invalid('records', 'must hold at least one record', 'INVALID_RECORD');
    if (raw.length > LIMITS.produceRecordsMax) {
      throw new BrokerError(
        'RECORD_LIST_TOO_LARGE',
        `at most ${LIMITS.produceRecordsMax} records per request, got ${raw.length}`,
      );
    }
    const nowMs = this.clock.nowMs();
    return raw.map((record, i) => toProduceRecord(record, i, keyFormat, valueFormat, nowMs));
  }

  private encode(
    records: ProduceRecord[],
    partitions: number[],
    maxMessageBytes: number,
    producer: KeyedProducer | undefined,
  ): PartitionBatch[] {
    const grouped = new Map<number, number[]>();
    partitions.forEach((partition, index) => {
      const list = grouped.get(partition);
      if (list === undefined) grouped.set(partition, [index]);
      else list.push(index);
    });
    const nowMs = this.clock.nowMs();
    return [...grouped.entries()].map(([partition, indexes]) => {
      const batch = encodeRecordBatch(
        indexes.map((i) => (records[i] as ProduceRecord).input),
        producer === undefined
          ? { defaultTimestampMs: nowMs }
          : { defaultTimestampMs: nowMs, ...producer, producerId: BigInt(producer.producerId) },
      );
      if (batch.length > maxMessageBytes) {
        throw new BrokerError(
          'MESSAGE_TOO_LARGE',
          `the records for partition ${partition} make a ${batch.length}-byte batch; ` +
            `the topic's max.message.bytes is ${maxMessageBytes}`,
        );
      }
      return { partition, indexes, batch };
    });
  }
}

/**
 * The answer's JSON, as JSON.stringify would write it, built directly: offsets are integers,
 * so nothing needs escaping, and for a 500-record answer this takes a fifth of the time.
 */
export function produceAnswerJson(body: ProduceAnswer['body']): string {
  let json = '{"offsets":[';
  const offsets = body.offsets;
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i] as RecordOffset;
    json += `${i === 0 ? '' : ','}{"partition":${o.partition},"offset":${o.offset},"timestamp":${o.timestamp}}`;
  }
  return `${json}]}`;
}

function parseAcks(raw: string | undefined): Acks {
  if (raw === undefined || raw === 'all' || raw === '-1') return -1;
  if (raw === '1') return 1;
  if (raw === '0') return 0;
  throw new BrokerError(
    'INVALID_REQUIRED_ACKS',
    `acks must be all, -1, 1 or 0, got ${JSON.stringify(raw)}`,
  );
}

function format(raw: unknown, field: string, fallback: Format): Format {
  return raw === undefined ? fallback : oneOf(raw, field, FORMATS);
}

function parseNdjson(body: unknown): unknown[] {
  if (typeof body !== 'string') throw invalid('body', 'must be NDJSON text');
  const records: unknown[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    if (records.length >= LIMITS.produceRecordsMax) {
      throw new BrokerError(
        'RECORD_LIST_TOO_LARGE',
        `at most ${LIMITS.produceRecordsMax} records per request`,
      );
    }
    try {
      records.push(JSON.parse(line));
    } catch {
      throw invalid(`line ${i + 1}`, 'is not valid JSON');
    }
  }
  return records;
}

/**
 * Every partition's write, or the error of the first that failed. When some fail, the error
 * says which partitions were written (a retry would write those again) and which failed.
 */
function settle(outcomes: Outcome<ProduceResult>[], batches: PartitionBatch[]): ProduceResult[] {
  const failed = outcomes.find((o) => !o.ok);
  if (failed === undefined || failed.ok) {
    return outcomes.map((o) => (o as { ok: true; value: ProduceResult }).value);
  }
  if (outcomes.length === 1) throw failed.error;
  const partitions = outcomes.map((o, i) => {
    const partition = (batches[i] as PartitionBatch).partition;
    return o.ok
      ? { partition, baseOffset: o.value.baseOffset }
      : { partition, error: o.error.code };
  });
  const reason = failed.error;
  throw new BrokerError(reason.code, `${reason.message} (see partitions for what was written)`, {
    cause: reason,
    extra: { ...reason.extra, partitions },
  });
}
