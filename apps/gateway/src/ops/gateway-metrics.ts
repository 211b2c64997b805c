// Prometheus metrics of one gateway, in its own registry (several nodes may share a process in
// tests). Per-topic series are labelled by tenant and topic name; log sizes and partition
// counts are read at scrape time rather than kept up to date on the hot path.
import { type MetadataCache } from '@tributary/metadata';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type TopicHosting } from '../gateway-context';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly produceRecords: Counter<'tenant' | 'topic'>;
  readonly produceBytes: Counter<'tenant' | 'topic'>;
  readonly fetchRecords: Counter<'tenant' | 'topic'>;
  readonly fetchBytes: Counter<'tenant' | 'topic'>;

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
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['tenant', 'topic'], registers });
    this.produceRecords = counter('tributary_produce_records_total', 'Records produced');
    this.produceBytes = counter('tributary_produce_bytes_total', 'RecordBatch bytes produced');
    this.fetchRecords = counter('tributary_fetch_records_total', 'Records fetched');
    this.fetchBytes = counter('tributary_fetch_bytes_total', 'RecordBatch bytes fetched');
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

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
