// Named default limits, kept in one place. Units are last in every name.

export const LIMITS = {
  /** Largest RecordBatch accepted by the log (Kafka's default message.max.bytes is ~1 MiB). */
  batchBytesMax: 1024 * 1024 + 64,
  /** Hard ceiling for a topic's max.message.bytes. */
  messageBytesCeiling: 64 * 1024 * 1024,
  /** Records one batch may hold. */
  recordsPerBatchMax: 100_000,
  /** Decompressed bytes one batch may expand to (guards against compression bombs). */
  decompressedBatchBytesMax: 64 * 1024 * 1024,
  /** Header count of one record. */
  headersPerRecordMax: 1_000,
  /** Bytes of appends queued but not yet written, per partition log. */
  pendingAppendBytesMax: 64 * 1024 * 1024,
  /** Bytes one group-commit write may coalesce. */
  groupCommitBytesMax: 8 * 1024 * 1024,
  /** Segment files a LogManager keeps open at once. */
  openSegmentsMax: 1_024,
  /** Default segment size (Kafka's segment.bytes default is 1 GiB; ours is smaller). */
  segmentBytesDefault: 256 * 1024 * 1024,
  segmentBytesMin: 14,
  /** Sparse index interval: one offset-index entry per this many log bytes. */
  indexIntervalBytes: 4096,
  /** Default index file capacity (Kafka's segment.index.bytes). */
  indexBytesMax: 10 * 1024 * 1024,
  /** Produce request body (JSON or NDJSON); refused from Content-Length before reading. */
  produceBodyBytesMax: 32 * 1024 * 1024,
  /** Any other request body. */
  requestBodyBytesMax: 1024 * 1024,
  /** Records in one produce request (all partitions together). */
  produceRecordsMax: 100_000,
  /** How long a produce with acks=all waits for the high watermark. */
  produceTimeoutMs: 30_000,
  /** Fetch: defaults and ceilings of maxRecords, maxBytes and maxWaitMs. */
  fetchRecordsDefault: 500,
  fetchRecordsMax: 10_000,
  fetchBytesDefault: 1024 * 1024,
  fetchBytesMax: 16 * 1024 * 1024,
  fetchWaitMsMax: 30_000,
  /** How long a produce answer is remembered under its Idempotency-Key. */
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  /** Concurrent HTTP requests in flight per node before new ones get 503. */
  requestsInFlightMax: 10_000,
} as const;
