// Produce: JSON or NDJSON records -> one RecordBatch per partition -> BrokerClient.produce with
// the requested acks -> offsets in request order. Everything is validated before anything is
// written; with an Idempotency-Key a repeated request gets the first answer back.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, LIMITS } from '@tributary/common';
import { type Topic } from '@tributary/metadata';
import { type Acks, type ProduceResult } from '@tributary/partitions';
import { encodeRecordBatch } from '@tributary/protocol';
import { type Logger } from 'pino';
import { type TenantPrincipal } from '../auth/principal';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';
import { invalid, isObject, oneOf } from '../http/input';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { findTopic, topicConfig } from '../topics/topic-access';
import { Idempotency } from './idempotency';
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
  private readonly idempotency: Idempotency;
  private readonly logger: Logger;

  constructor(
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
    private readonly quotas: QuotaService,
    private readonly metrics: GatewayMetrics,
  ) {
    this.idempotency = new Idempotency(ctx.metadata);
    this.logger = ctx.logger;
  }

  async produce(auth: TenantPrincipal, input: ProduceInput): Promise<ProduceAnswer> {
    const topic = findTopic(this.ctx.metadata.cache, auth, input.topic, 'write');
    const acks = parseAcks(input.acks);
    // Checked before the Idempotency-Key is: its hash serializes the body, so the body must be
    // one this service accepts (no deeper than LIMITS.jsonDepthMax) before it is hashed.
    const records = this.parseRecords(input);
    if (input.idempotencyKey === undefined) return this.write(auth, topic, acks, records, input);
    return this.idempotency.run(auth.tenant.id, topic.id, input.idempotencyKey, input, () =>
      this.write(auth, topic, acks, records, input),
    );
  }

  private async write(
    auth: TenantPrincipal,
    topic: Topic,
    acks: Acks,
    records: ProduceRecord[],
    input: ProduceInput,
  ): Promise<ProduceAnswer> {
    const partitions = this.partitioner.assign(topic.id, topic.partitionCount, records);
    const config = topicConfig(topic);
    const batches = this.encode(records, partitions, config['max.message.bytes']);
    if (acks === -1) this.checkInSyncReplicas(topic, batches, config['min.insync.replicas']);
    this.quotas.check(auth.tenant, 'produce');
    this.quotas.checkStorage(auth.tenant);
    this.quotas.charge(auth.tenant, 'produce', input.bodyBytes);

    const timeoutMs = LIMITS.produceTimeoutMs;
    const tp = (partition: number) => ({ tenantId: topic.tenantId, topicId: topic.id, partition });
    const writes = batches.map((b) =>
      this.ctx.broker.produce({
        ...tp(b.partition),
        batch: b.batch,
        acks,
        timeoutMs,
        crcVerified: true,
      }),
    );
    this.metrics.countTraffic(
      'produce',
      auth.tenant.name,
      topic,
      records.length,
      batches.reduce((sum, b) => sum + b.batch.length, 0),
    );
    if (acks === 0) {
      for (const write of writes) {
        write.catch((error: unknown) =>
          this.logger.warn({ err: error, topic: topic.name }, 'acks=0 write failed'),
        );
      }
      const offsets = records.map((r, i) => ({
        partition: partitions[i] ?? -1,
        offset: -1,
        timestamp: r.timestamp,
      }));
      return { status: 202, body: { offsets }, replayed: false };
    }
    const results = await settle(writes, batches);
    const offsets = new Array<RecordOffset>(records.length);
    batches.forEach((b, i) => {
      const result = results[i] as ProduceResult;
      b.indexes.forEach((index, j) => {
        offsets[index] = {
          partition: b.partition,
          offset: result.baseOffset + j,
          timestamp: (records[index] as ProduceRecord).timestamp,
        };
      });
    });
    return { status: 200, body: { offsets }, replayed: false };
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
    const nowMs = this.ctx.clock.nowMs();
    return raw.map((record, i) => toProduceRecord(record, i, keyFormat, valueFormat, nowMs));
  }

  private encode(
    records: ProduceRecord[],
    partitions: number[],
    maxMessageBytes: number,
  ): PartitionBatch[] {
    const grouped = new Map<number, number[]>();
    partitions.forEach((partition, index) => {
      const list = grouped.get(partition);
      if (list === undefined) grouped.set(partition, [index]);
      else list.push(index);
    });
    const nowMs = this.ctx.clock.nowMs();
    return [...grouped.entries()].map(([partition, indexes]) => {
      const batch = encodeRecordBatch(
        indexes.map((i) => (records[i] as ProduceRecord).input),
        { defaultTimestampMs: nowMs },
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

  private checkInSyncReplicas(topic: Topic, batches: PartitionBatch[], minInSync: number): void {
    for (const { partition } of batches) {
      const state = this.ctx.metadata.cache.partition(topic.id, partition);
      const isr = state?.isr.length ?? 0;
      if (isr < minInSync) {
        throw new BrokerError(
          'NOT_ENOUGH_REPLICAS',
          `partition ${partition} has ${isr} in-sync replica(s); min.insync.replicas is ${minInSync}`,
        );
      }
    }
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
 * Waits for every partition's write. When some fail, the error says which partitions were
 * written (a retry would write those again) and which failed.
 */
async function settle(
  writes: Promise<ProduceResult>[],
  batches: PartitionBatch[],
): Promise<ProduceResult[]> {
  if (writes.length === 1) return [await (writes[0] as Promise<ProduceResult>)];
  const settled = await Promise.allSettled(writes);
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed === -1) return settled.map((s) => (s as PromiseFulfilledResult<ProduceResult>).value);
  const reason = (settled[failed] as PromiseRejectedResult).reason as unknown;
  const partitions = settled.map((s, i) => {
    const partition = (batches[i] as PartitionBatch).partition;
    return s.status === 'fulfilled'
      ? { partition, baseOffset: s.value.baseOffset }
      : { partition, error: s.reason instanceof BrokerError ? s.reason.code : 'INTERNAL' };
  });
  if (reason instanceof BrokerError && settled.length > 1) {
    throw new BrokerError(reason.code, `${reason.message} (see partitions for what was written)`, {
      cause: reason,
      extra: { ...reason.extra, partitions },
    });
  }
  throw reason;
}
