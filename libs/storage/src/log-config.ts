// Per-log settings, named after Kafka's topic configs (retention.ms -> retentionMs, ...).
import { assert, LIMITS } from '@tributary/common';

/**
 * `fsync`: an append is acknowledged only after an fdatasync covers it.
 * `replicated`: acknowledged once in the page cache (safety comes from replicas), with an
 * optional periodic flush.
 */
export type Durability = 'fsync' | 'replicated';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  /** -1: keep forever. */
  retentionMs: number;
  /** -1: no size limit. */
  retentionBytes: number;
  /** Largest batch accepted, in bytes (Kafka's max.message.bytes). */
  maxMessageBytes: number;
  durability: Durability;
  /** With `replicated` durability: fdatasync at least this often (null: leave it to the OS). */
  flushIntervalMs: number | null;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  durability: 'fsync',
  flushIntervalMs: null,
  indexIntervalBytes: LIMITS.indexIntervalBytes,
  segmentIndexBytes: LIMITS.indexBytesMax,
};

export function checkLogConfig(config: LogConfig): void {
  assert(
    config.segmentBytes >= LIMITS.segmentBytesMin && config.segmentBytes <= 0x7fffffff,
    `segment.bytes ${config.segmentBytes} out of range`,
  );
  assert(config.segmentMs >= 1, 'segment.ms must be positive');
  assert(config.retentionMs >= -1 && config.retentionBytes >= -1, 'bad retention');
  assert(
    config.maxMessageBytes >= 1 && config.maxMessageBytes <= LIMITS.messageBytesCeiling,
    'max.message.bytes out of range',
  );
  assert(config.indexIntervalBytes >= 0, 'index interval must not be negative');
  assert(config.segmentIndexBytes >= 12, 'segment.index.bytes too small');
  assert(config.flushIntervalMs === null || config.flushIntervalMs >= 1, 'bad flush interval');
}
