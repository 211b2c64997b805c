// Prometheus metrics of one gateway, in its own registry (several nodes may share a process in
// tests). Per-topic series are labelled by tenant and topic name; log sizes and partition
// counts are read at scrape time rather than kept up to date on the hot path. Traffic per topic
// is summed in plain numbers by topic id and handed to the counters at scrape time (a labelled
// prom-client increment builds a key from its labels on every call, too dear per request);
// topics deleted since are dropped then.
import { type MetadataCache } from '@tributary/metadata';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type TopicHosting } from '../node-services';

interface TopicTraffic {
  tenant: string;
  topic: string;
  produceRecords: number;
  produceBytes: number;
  fetchRecords: number;
  fetchBytes: number;
}

export type TrafficKind = 'produce' | 'fetch';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly traffic = new Map<string, TopicTraffic>();

  constructor(cache: MetadataCache, hosting: TopicHosting) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestSeconds = new Histogram({
      name: 'tributary_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const traffic = this.traffic;
    const counter = (
      name: string,
      help: string,
      field: keyof Omit<TopicTraffic, 'tenant' | 'topic'>,
    ) =>
      new Counter({
        name,
        help,
        labelNames: ['tenant', 'topic'],
        registers,
        collect() {
          this.reset();
          for (const [topicId, t] of traffic) {
            if (cache.topic(topicId) === undefined) traffic.delete(topicId);
            else if (t[field] > 0) this.inc({ tenant: t.tenant, topic: t.topic }, t[field]);
          }
        },
      });
    counter('tributary_produce_records_total', 'Records produced', 'produceRecords');
    counter('tributary_produce_bytes_total', 'RecordBatch bytes produced', 'produceBytes');
    counter('tributary_fetch_records_total', 'Records fetched', 'fetchRecords');
    counter('tributary_fetch_bytes_total', 'RecordBatch bytes fetched', 'fetchBytes');
    new Gauge({
      name: 'tributary_partitions',
      help: 'Partitions hosted on this node',
      registers,
      collect() {
        let count = 0;
        for (const _ of hosting.logSizes()) count++;
        this.set(count);
      },
    });
    new Gauge({
      name: 'tributary_log_size_bytes',
      help: 'Bytes on disk of each hosted partition log',
      labelNames: ['tenant', 'topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const log of hosting.logSizes()) {
          const topic = cache.topic(log.topicId);
          const tenant = cache.tenant(log.tenantId);
          if (topic === undefined || tenant === undefined) continue;
          this.set(
            { tenant: tenant.name, topic: topic.name, partition: String(log.partition) },
            log.bytes,
          );
        }
      },
    });
  }

  /** Counts records and RecordBatch bytes produced to or fetched from a topic. */
  countTraffic(
    kind: TrafficKind,
    tenant: string,
    topic: { id: string; name: string },
    records: number,
    bytes: number,
  ): void {
    let t = this.traffic.get(topic.id);
    if (t === undefined) {
      t = {
        tenant,
        topic: topic.name,
        produceRecords: 0,
        produceBytes: 0,
        fetchRecords: 0,
        fetchBytes: 0,
      };
      this.traffic.set(topic.id, t);
    }
    if (kind === 'produce') {
      t.produceRecords += records;
      t.produceBytes += bytes;
    } else {
      t.fetchRecords += records;
      t.fetchBytes += bytes;
    }
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
