// What a WebSocket subscription pushes. Both kinds run one loop: wait until the connection may
// send and credit remains, take the next records (parking on the same waiters as long-polls
// when there are none), push them, as JSON or binary frames (records-push.ts). Explicit
// partitions keep their positions on the connection; a group subscription is a group member
// whose positions live on the server like a REST member's, and it tells the client what it was
// assigned and what was revoked.
import { BrokerError, isBrokerError } from '@tributary/common';
import { type Topic } from '@tributary/metadata';
import { type BrokerClient, type PartitionPosition } from '@tributary/partitions';
import { type TenantPrincipal } from '../auth/principal';
import { parseCommitOffsets } from '../groups/group-input';
import { type GroupMembersService } from '../groups/group-members.service';
import { isObject } from '../http/input';
import { type ReadCursor, readPartitionsInTurn } from '../records/partition-reads';
import { type Format } from '../records/record-codec';
import { type PushTarget, type RecordsPush } from './records-push';

/** How long one wait for records lasts before the loop looks again (a heartbeat for groups). */
const WAIT_MS = 15_000;
/** A group member with autoCommit, pushed to over a WebSocket, commits at most this often. */
export const WS_AUTO_COMMIT_INTERVAL_MS = 1_000;

export interface Formats {
  keyFormat: Format;
  valueFormat: Format;
}

/**
 * What a subscription needs of its connection (a WsSession is one); declared here so that the
 * subscriptions do not import the session that holds them.
 */
export interface SubscriptionSession extends PushTarget {
  readonly auth: TenantPrincipal;
  readonly closed: boolean;
  readonly limits: { readonly wsPushBytesMax: number };
  readonly subscriptions: Map<string, WsSubscription>;
  nextSubscriptionId(): string;
  sendError(error: unknown, id?: unknown): void;
  whenWritable(): Promise<void>;
}

export abstract class WsSubscription<T = unknown> {
  /** null: no credit flow control (only the send buffer bounds pushes). */
  private credit: number | null;
  private creditWaiter: (() => void) | undefined;
  protected readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    readonly id: string,
    protected readonly session: SubscriptionSession,
    initialCredit: number | null,
    protected readonly push: RecordsPush<T>,
  ) {
    this.credit = initialCredit;
  }

  start(): void {
    this.running = this.loop().catch((error: unknown) => {
      if (this.abort.signal.aborted) return;
      this.session.sendError(error);
      this.session.subscriptions.delete(this.id);
      this.abort.abort();
    });
  }

  addCredit(records: number): void {
    this.credit = (this.credit ?? 0) + records;
    this.creditWaiter?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.creditWaiter?.();
    await this.running;
    await this.release();
  }

  abstract commit(offsets: unknown): Promise<unknown[]>;

  /** The next records (at most `maxRecords`), possibly none after a wait. */
  protected abstract next(maxRecords: number): Promise<T[]>;

  protected async release(): Promise<void> {}

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted && !this.session.closed) {
      await this.session.whenWritable();
      if (this.credit !== null && this.credit <= 0) {
        await new Promise<void>((resolve) => (this.creditWaiter = resolve));
        this.creditWaiter = undefined;
        continue;
      }
      if (signal.aborted || this.session.closed) return;
      const recordsMax = this.push.recordsMax;
      const items = await this.next(Math.min(this.credit ?? recordsMax, recordsMax));
      const records = this.push.count(items);
      if (records === 0 || signal.aborted) continue;
      if (this.credit !== null) this.credit -= records;
      this.push.send(this.session, this.id, items);
    }
  }
}

/** Explicit partitions of one topic, from a start the client chose. */
export class PartitionSubscription<T> extends WsSubscription<T> {
  private rotation = 0;

  constructor(
    id: string,
    session: SubscriptionSession,
    credit: number | null,
    private readonly broker: BrokerClient,
    private readonly topic: Topic,
    private readonly positions: Map<number, number>,
    push: RecordsPush<T>,
  ) {
    super(id, session, credit, push);
  }

  commit(): Promise<unknown[]> {
    throw new BrokerError('INVALID_REQUEST', 'commit: only a group subscription commits');
  }

  protected async next(maxRecords: number): Promise<T[]> {
    const partitions = [...this.positions.keys()];
    const cursors: ReadCursor<T>[] = partitions.map((partition) => ({
      tp: { tenantId: this.topic.tenantId, topicId: this.topic.id, partition },
      offset: this.positions.get(partition)!,
      ...this.push.read(this.topic, partition),
    }));
    const { records, ends } = await readPartitionsInTurn(
      this.broker,
      cursors,
      this.rotation++ % cursors.length,
      { maxRecords, maxBytes: this.session.limits.wsPushBytesMax },
      // Retention overtook the position: go on from the log start, as a consumer would.
      async (cursor) => (await this.broker.listOffset(cursor.tp, 'earliest')).offset,
    );
    ends.forEach((end, index) => {
      if (end !== undefined) this.positions.set(partitions[index]!, end.nextOffset);
    });
    if (records.length > 0) return records;
    const waiting: PartitionPosition[] = partitions.map((partition) => ({
      tenantId: this.topic.tenantId,
      topicId: this.topic.id,
      partition,
      offset: this.positions.get(partition)!,
    }));
    await this.broker.awaitRecords(waiting, WAIT_MS, this.abort.signal);
    return [];
  }
}

/** A group member: the server assigns partitions and keeps the positions. */
export class GroupSubscription<T> extends WsSubscription<T> {
  private owned: number[] = [];
  /** When this subscription's polls last committed (performance.now()), and if any came since. */
  private committedAtMs = -Infinity;
  private uncommitted = false;

  constructor(
    id: string,
    session: SubscriptionSession,
    credit: number | null,
    private readonly groups: GroupMembersService,
    private readonly auth: TenantPrincipal,
    private readonly group: string,
    private readonly topic: Topic,
    private readonly memberId: string,
    push: RecordsPush<T>,
  ) {
    super(id, session, credit, push);
  }

  /** Tells the client about the partitions it gained and lost. */
  announce(assignment: readonly { topic: string; partitions: number[] }[]): void {
    const now = assignment.find((a) => a.topic === this.topic.name)?.partitions ?? [];
    const revoked = this.owned.filter((p) => !now.includes(p));
    const assigned = now.filter((p) => !this.owned.includes(p));
    this.owned = [...now];
    if (revoked.length > 0) {
      this.session.send({ op: 'revoked', subscription: this.id, partitions: revoked });
    }
    if (assigned.length > 0) {
      this.session.send({ op: 'assigned', subscription: this.id, partitions: assigned });
    }
  }

  async commit(offsets: unknown): Promise<unknown[]> {
    // Over the socket the topic is the subscription's: entries name partition and offset only.
    const parsed =
      offsets === undefined
        ? undefined
        : parseCommitOffsets(
            Array.isArray(offsets)
              ? offsets.map((o: unknown) => (isObject(o) ? { ...o, topic: this.topic.name } : o))
              : offsets,
          );
    const committed = await this.groups.commit(
      this.auth,
      this.group,
      this.memberId,
      parsed,
      undefined,
    );
    this.announce(committed.assignment);
    return committed.offsets;
  }

  protected async next(maxRecords: number): Promise<T[]> {
    // With autoCommit, what was pushed is committed once per interval (and when the member
    // leaves), not by every push: a commit is a durable write to the metadata store. A poll
    // commits what the polls before it returned; while something is uncommitted the poll waits
    // no longer than until the next commit is due, so a quiet subscription commits on time.
    const now = performance.now();
    const dueAtMs = this.committedAtMs + WS_AUTO_COMMIT_INTERVAL_MS;
    const commit = this.uncommitted && now >= dueAtMs;
    if (commit) {
      this.committedAtMs = now;
      this.uncommitted = false;
    }
    const maxWaitMs = this.uncommitted ? Math.max(0, Math.ceil(dueAtMs - now)) : WAIT_MS;
    const polled = await this.groups.pollAs(
      this.auth,
      this.group,
      this.memberId,
      { maxRecords, maxBytes: this.session.limits.wsPushBytesMax, maxWaitMs },
      this.push.read,
      this.abort.signal,
      commit,
    );
    if (polled.records.length > 0) this.uncommitted = true;
    this.announce(polled.assignment);
    return polled.records;
  }

  protected override async release(): Promise<void> {
    await this.groups.leave(this.auth, this.group, this.memberId).catch((error: unknown) => {
      // Already gone (its session expired): nothing to leave.
      if (!isBrokerError(error, 'UNKNOWN_MEMBER')) throw error;
    });
  }
}
