// Fetch by partition and offset: BrokerClient.fetch (a long-poll parks until an append wakes
// it) -> whole batches -> the records at or after `offset`, at most maxRecords, as JSON.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, isBrokerError, LIMITS } from '@tributary/common';
import {
  type DecodedBatch,
  type DecodedRecord,
  decodeRecordBatches,
  decodeRecordBatchesAsync,
} from '@tributary/protocol';
import { MetadataCache } from '@tributary/metadata';
import { type BrokerClient, type FetchResult, type TopicPartition } from '@tributary/partitions';
import { Gauge } from 'prom-client';
import { type TenantPrincipal } from '../auth/principal';
import { oneOf, parseSafeInteger, queryInteger, queryString } from '../http/input';
import { BROKER_CLIENT } from '../node-services';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { findTopic, topicPartition } from '../topics/topic-access';
import { QuotaService } from './quotas';
import { type FetchedRecordJson, type Format, FORMATS, toRecordJson } from './record-codec';

export interface FetchAnswer {
  records: FetchedRecordJson[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface FetchParams {
  offset: number;
  maxRecords: number;
  maxBytes: number;
  maxWaitMs: number;
  keyFormat: Format;
  valueFormat: Format;
}

/** What every read takes: maxRecords, maxBytes, maxWaitMs and the key and value formats. */
export function parseReadQuery(query: Record<string, unknown>): Omit<FetchParams, 'offset'> {
  const keyFormat = queryString(query, 'keyFormat');
  const valueFormat = queryString(query, 'valueFormat');
  return {
    maxRecords: queryInteger(query, 'maxRecords', LIMITS.fetchRecordsDefault, {
      min: 1,
      max: LIMITS.fetchRecordsMax,
      code: 'INVALID_FETCH_SIZE',
    }),
    maxBytes: queryInteger(query, 'maxBytes', LIMITS.fetchBytesDefault, {
      min: 1,
      max: LIMITS.fetchBytesMax,
      code: 'INVALID_FETCH_SIZE',
    }),
    maxWaitMs: queryInteger(query, 'maxWaitMs', 0, { min: 0, max: LIMITS.fetchWaitMsMax }),
    keyFormat: keyFormat === undefined ? 'string' : oneOf(keyFormat, 'keyFormat', FORMATS),
    valueFormat: valueFormat === undefined ? 'json' : oneOf(valueFormat, 'valueFormat', FORMATS),
  };
}

export function parseFetchQuery(query: Record<string, unknown>): FetchParams {
  const offsetRaw = queryString(query, 'offset');
  if (offsetRaw === undefined) {
    throw new BrokerError('INVALID_REQUEST', 'offset: is required (see .../offsets?at=earliest)');
  }
  return { offset: parseSafeInteger(offsetRaw, 'offset'), ...parseReadQuery(query) };
}

/** Decodes batches; zstd has no synchronous codec, so a batch using it takes the async path. */
export async function decodeBatches(records: Buffer): Promise<DecodedBatch[]> {
  try {
    return decodeRecordBatches(records);
  } catch (error) {
    if (isBrokerError(error, 'UNSUPPORTED_COMPRESSION_TYPE'))
      return decodeRecordBatchesAsync(records);
    throw error;
  }
}

/**
 * The records of whole batches at or after `fromOffset`, at most `maxRecords` (and, for pushes,
 * about `maxBytes` of keys and values, at least one record), and the offset to read next (past
 * control batches and records compaction removed).
 */
export function collectRecords<T>(
  batches: readonly DecodedBatch[],
  fromOffset: number,
  maxRecords: number,
  toJson: (record: DecodedRecord) => T,
  maxBytes = Infinity,
): { records: T[]; nextOffset: number; bytes: number } {
  const records: T[] = [];
  let nextOffset = fromOffset;
  let bytes = 0;
  for (const batch of batches) {
    const batchEnd = batch.baseOffset + batch.lastOffsetDelta + 1;
    if (records.length >= maxRecords) break;
    if (!batch.isControl) {
      for (const record of batch.records) {
        if (record.offset < fromOffset) continue;
        if (records.length >= maxRecords || bytes >= maxBytes) break;
        records.push(toJson(record));
        bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
        nextOffset = record.offset + 1;
      }
    }
    if (records.length >= maxRecords || bytes >= maxBytes) break;
    nextOffset = Math.max(nextOffset, batchEnd);
  }
  return { records, nextOffset, bytes };
}

@Injectable()
export class FetchService {
  /** Long-polls in flight, so that a draining node can answer them at once. */
  private readonly parked = new Set<AbortController>();
  private draining = false;

  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
    private readonly quotas: QuotaService,
    private readonly metrics: GatewayMetrics,
  ) {
    const parked = this.parked;
    new Gauge({
      name: 'tributary_fetch_long_polls',
      help: 'Long-poll fetches parked, waiting for records',
      registers: [metrics.registry],
      collect() {
        this.set(parked.size);
      },
    });
  }

  async fetch(
    auth: TenantPrincipal,
    topicName: string,
    partition: number,
    params: FetchParams,
    signal: AbortSignal,
  ): Promise<FetchAnswer> {
    const topic = findTopic(this.cache, auth, topicName, 'read');
    const tp = topicPartition(topic, partition);
    this.quotas.check(auth.tenant, 'fetch');
    const fetched = await this.longPoll(tp, params, signal);
    const { records, nextOffset } = collectRecords(
      await decodeBatches(fetched.records),
      params.offset,
      params.maxRecords,
      (record) => toRecordJson(record, partition, params.keyFormat, params.valueFormat),
    );
    this.metrics.countTraffic(
      'fetch',
      auth.tenant.name,
      topic,
      records.length,
      fetched.records.length,
    );
    this.quotas.charge(auth.tenant, 'fetch', fetched.records.length);
    return {
      records,
      nextOffset,
      highWatermark: fetched.highWatermark,
      logStartOffset: fetched.logStartOffset,
    };
  }

  private async longPoll(
    tp: TopicPartition,
    params: FetchParams,
    signal: AbortSignal,
  ): Promise<FetchResult> {
    const request = { ...tp, offset: params.offset, maxBytes: params.maxBytes };
    if (params.maxWaitMs === 0 || this.draining) {
      return this.broker.fetch({ ...request, maxWaitMs: 0 });
    }
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.parked.add(abort);
    try {
      return await this.broker.fetch({
        ...request,
        maxWaitMs: params.maxWaitMs,
        signal: abort.signal,
      });
    } finally {
      this.parked.delete(abort);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Shutting down: parked long-polls answer now with what they have, new ones do not wait. */
  drain(): void {
    this.draining = true;
    for (const abort of this.parked) abort.abort();
  }
}
