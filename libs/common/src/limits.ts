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
  /** Length of a record header's key, in characters. */
  headerKeyLengthMax: 255,
  /**
   * Levels of arrays and objects a JSON record key or value may nest, and any other JSON body
   * or WebSocket frame (the same default as .NET's System.Text.Json). Deeper JSON is refused
   * with 400, before anything recurses over it (JSON.stringify fails near 5,000 levels).
   */
  jsonDepthMax: 64,
  /** Bytes of appends queued but not yet written, per partition log. */
  pendingAppendBytesMax: 64 * 1024 * 1024,
  /**
   * Bytes one group-commit write may coalesce. A write this size is made from the event loop
   * (storage's SYNC_WRITE_BYTES_MAX), which beats one large write through the threadpool; a
   * sync still covers every write completed before it, however many.
   */
  groupCommitBytesMax: 1024 * 1024,
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
  /**
   * How long a partition remembers an idempotent producer's last batch (an Idempotency-Key's
   * request), and how many it remembers (oldest forgotten first).
   */
  idempotencyWindowMs: 24 * 60 * 60 * 1000,
  idempotentProducersPerPartitionMax: 50_000,
  /** Consumer groups: members of one group, and the session timeout's default and bounds. */
  groupMembersMax: 1_000,
  sessionTimeoutMsDefault: 30_000,
  sessionTimeoutMsMin: 1_000,
  sessionTimeoutMsMax: 300_000,
  /** Topic names a member may list in its subscription, and a pattern's length. */
  subscriptionTopicsMax: 1_000,
  topicPatternLengthMax: 255,
  /** WebSocket: largest client frame (bigger: closed with 1009). */
  wsFrameBytesMax: 1024 * 1024,
  /** WebSocket: bytes sent but not yet taken by the network before pushes pause... */
  wsBufferedBytesHigh: 1024 * 1024,
  /** ...and past which, or after wsStallTimeoutMs paused, the connection is closed (1013). */
  wsBufferedBytesCap: 8 * 1024 * 1024,
  wsStallTimeoutMs: 30_000,
  /** WebSocket: bytes of records in one pushed frame. */
  wsPushBytesMax: 256 * 1024,
  wsSubscriptionsMax: 64,
  /** WebSocket: client operations (produce, commit) in progress at once per connection. */
  wsOperationsInFlightMax: 64,
  wsConnectionsMax: 10_000,
  wsPingIntervalMs: 30_000,
  /** WebSocket: a connection with no subscription and no frame for this long is closed. */
  wsIdleTimeoutMs: 10 * 60 * 1000,
  /** Lifetime of a single-use WebSocket ticket. */
  wsTicketTtlMs: 60_000,
  /** Internal RPC: largest frame (a fetch answer of fetchBytesMax, with room for its header). */
  rpcFrameBytesMax: 64 * 1024 * 1024,
  /** Internal RPC: bytes of calls sent to one node and not yet answered (or queued to send). */
  rpcBytesInFlightMax: 128 * 1024 * 1024,
  /** Internal RPC: calls one connection may have running on the serving node at once. */
  rpcCallsInFlightMax: 4_096,
  /**
   * Internal RPC: a call's deadline unless it names its own (long-polls and acks=all writes add
   * their wait to it). A node paused mid-call answers nothing: callers learn within this.
   */
  rpcCallTimeoutMs: 5_000,
  /** Internal RPC: how long a node waits to connect, and between failed attempts. */
  rpcConnectTimeoutMs: 3_000,
  rpcReconnectBackoffMs: 200,
  /** Concurrent HTTP requests in flight per node before new ones get 503. */
  requestsInFlightMax: 10_000,
  /**
   * Ceiling of a node's tenant requests being served at once (long-polls waiting excluded);
   * load shedding lowers the bound while the event loop falls behind (see LoadShedder).
   */
  workInFlightMax: 128,
  /**
   * Retry-After of a 429 or 503 that names no other, and of UNAVAILABLE while Postgres or Redis
   * is unreachable: the node reconnects on its own within moments of the service coming back.
   */
  retryAfterSecondsDefault: 1,
} as const;
