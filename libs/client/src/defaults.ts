// The client's default limits and timings, in one place. Units are last in every name.

export const CLIENT_DEFAULTS = {
  /** A call that has no answer in this long fails with TIMEOUT (long-polls add their wait). */
  requestTimeoutMs: 30_000,
  /** A produce waits for acks=all on the server for up to 30 s; this leaves room for that. */
  produceTimeoutMs: 40_000,

  /** Retries: the first wait, its ceiling (each wait doubles, with jitter), and attempts. */
  backoffMsMin: 100,
  backoffMsMax: 10_000,
  attemptsMax: 10,

  /** Producer: how long a record waits for more to join its batch. */
  lingerMs: 5,
  /** Producer: records and (JSON) bytes in one produce request. */
  batchRecordsMax: 500,
  batchBytesMax: 512 * 1024,
  /** Producer: records and bytes buffered or in flight at once, over every topic. */
  bufferRecordsMax: 20_000,
  bufferBytesMax: 32 * 1024 * 1024,
  /** Producer: how long send() waits for room in a full buffer before BUFFER_FULL. */
  maxBlockMs: 60_000,
  /** Producer: give up on a batch this long after its first attempt (Kafka's delivery.timeout.ms). */
  deliveryTimeoutMs: 120_000,

  /** Group consumer: sessionTimeoutMs of the members it joins (the server's default). */
  sessionTimeoutMs: 30_000,
  /** Group consumer and WebSocket consumer: records handed to the handler at once, at most. */
  pollRecordsMax: 500,
  /** Group consumer: how long one poll waits for records (a long-poll; at most 30000). */
  pollWaitMs: 5_000,

  /** WebSocket consumer: records the server may push per partition before the handler took them. */
  credit: 500,
  /** WebSocket and SSE: reconnections tried in a row (none succeeding) before giving up. */
  reconnectAttemptsMax: 10,

  /** The server's cap on subscriptions per WebSocket connection (LIMITS.wsSubscriptionsMax). */
  wsSubscriptionsMax: 64,
  /** The server sends an SSE cursor only for topics of at most this many partitions. */
  sseCursorPartitionsMax: 256,
  /** SSE: the longest line the reader keeps (a record is one line). */
  sseLineCharsMax: 16 * 1024 * 1024,
  /** SSE with EventSource: records received but not yet handled before the stream pauses. */
  sseQueueRecordsMax: 1_000,
} as const;
