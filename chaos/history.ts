// What the clients were told, as the checker reads it: one operation per produce (with each of
// its attempts), read, consumer delivery, sample and final read, with its start and end (ms
// since the run began) and the node it went to. The history has a capacity: past it the run
// stops its clients rather than grow without bound.

export interface Attempt {
  node: number;
  startMs: number;
  endMs: number;
  /** HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  /** The problem's code, or the client-side error's name. */
  code?: string;
}

interface OpBase {
  id: number;
  /** The client that made it: `producer-1`, `reader-2`, `rest-consumer-1`, `watcher`, ... */
  client: string;
  /** The node called (the last one, for a produce retried elsewhere); 0: none in particular. */
  node: number;
  startMs: number;
  endMs: number;
}

export interface Positioned {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

/**
 * One logical acks=all produce of a unique value under one Idempotency-Key, retried until
 * acknowledged ('ok'), refused for a reason that writes nothing ('failed', a 400), or given up
 * on ('indeterminate': it may or may not be in the log).
 */
export interface ProduceOp extends OpBase {
  kind: 'produce';
  topic: string;
  partition: number;
  value: string;
  idempotencyKey: string;
  outcome: 'ok' | 'failed' | 'indeterminate';
  offset?: number;
  attempts: Attempt[];
}

/** A read by offset of one partition (GET .../partitions/{p}/records?offset=). */
export interface ReadOp extends OpBase {
  kind: 'read';
  topic: string;
  partition: number;
  fromOffset: number;
  status: number;
  code?: string;
  records: Positioned[];
}

/**
 * Records delivered to a consumer group member in one poll (REST) or one pushed frame
 * (WebSocket). `generation` names the stretch within which the member's positions only move
 * forward: the member epoch for REST, the connection, subscription and assignment change count
 * for the WebSocket.
 */
export interface ConsumeOp extends OpBase {
  kind: 'consume';
  group: string;
  memberId: string;
  generation: string;
  records: Positioned[];
}

/** The group's committed offsets as GET /v1/groups/{group} showed them; null: none. */
export interface CommittedOp extends OpBase {
  kind: 'committed';
  group: string;
  offsets: { topic: string; partition: number; committedOffset: number | null }[];
}

/** Partition leaders as GET /v1/topics/{topic} showed them. */
export interface LeadersOp extends OpBase {
  kind: 'leaders';
  topic: string;
  partitions: { partition: number; leader: number; leaderEpoch: number; isr: number[] }[];
}

/** A partition read from offset 0 to its high watermark after every fault healed. */
export interface FinalOp extends OpBase {
  kind: 'final';
  topic: string;
  partition: number;
  highWatermark: number;
  /** False when the read could not get to the high watermark (then it is not evidence). */
  complete: boolean;
  records: Positioned[];
}

export type Op = ProduceOp | ReadOp | ConsumeOp | CommittedOp | LeadersOp | FinalOp;

/** An operation without its id, as a client hands it over. */
export type NewOp = Op extends infer T ? (T extends Op ? Omit<T, 'id'> : never) : never;

export interface FaultRecord {
  id: number;
  kind: string;
  /** The node faulted; undefined for a fault of Redis or Postgres. */
  node?: number;
  startMs: number;
  /** When it healed; undefined while it lasts. */
  endMs?: number;
  detail: string;
  /** For a kill: the partitions (of the topic) the node led just before it. */
  ledPartitions?: number[];
  /** What went wrong while injecting or healing it. */
  error?: string;
}

export class HistoryFull extends Error {
  override readonly name = 'HistoryFull';
}

export class History {
  readonly ops: Op[] = [];
  readonly faults: FaultRecord[] = [];
  private readonly origin = performance.now();

  constructor(readonly capacity: number) {}

  /** Milliseconds since the run began. */
  now(): number {
    return Math.round((performance.now() - this.origin) * 10) / 10;
  }

  get full(): boolean {
    return this.ops.length >= this.capacity;
  }

  add(op: NewOp): Op {
    if (this.full) throw new HistoryFull(`the history holds ${this.capacity} operations`);
    const stored = { ...op, id: this.ops.length };
    this.ops.push(stored);
    return stored;
  }

  fault(fault: Omit<FaultRecord, 'id'>): FaultRecord {
    const stored = { ...fault, id: this.faults.length };
    this.faults.push(stored);
    return stored;
  }
}
