// A consumer-group member over REST, run as one loop: join, long-poll, hand the records to the
// handler, commit them once it succeeded, poll again. Groups are stateless on the server side
// of each call (any node serves any member), so the loop is the whole member:
//
// - it joins with autoCommit off and commits the records' next offsets itself after the
//   handler returns, so a record is committed only once it was handled (at-least-once);
// - every call is a heartbeat; while the handler runs, a timer sends heartbeats every
//   heartbeatIntervalMs so the session does not run out;
// - UNKNOWN_MEMBER (the session ran out, or the group lost its state) is answered by joining
//   again; the records not committed come again from the committed offsets;
// - a commit refused with STALE_MEMBER_EPOCH (partitions moved to another member during the
//   handler) is sent again for the partitions still owned; the others' records go to their
//   new owner;
// - retriable failures are retried with backoff (attemptsMax in a row); anything else, or a
//   handler that throws, ends the loop: the member leaves without committing that batch, and
//   run() rejects with the error;
// - close() stops after the batch in hand (committed), then leaves the group.
import { type TributaryClient } from './client';
import { CLIENT_DEFAULTS } from './defaults';
import { fromFailure, isTributaryError, TributaryError } from './errors';
import { HandlerFailure } from './reconnect';
import { backoffMs, delay, resolveRetry, type RetryPolicy } from './retry';
import {
  type Assignment,
  type CommitOffset,
  type Format,
  type GroupRecord,
  type JoinedMember,
  type JoinGroup,
  type MemberState,
} from './types';

export interface GroupConsumerOptions {
  /** The topics to read, or topicPattern (a regular expression over whole topic names). */
  topics?: string[];
  topicPattern?: string;
  sessionTimeoutMs?: number;
  /** Where partitions with no committed offset start. Default latest (the server's). */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Static membership: rejoining within the session keeps the partitions. */
  instanceId?: string;
  assignor?: JoinGroup['assignor'];
  /** Records per batch handed to the handler, at most; a function is asked before each poll. */
  maxRecords?: number | (() => number);
  maxBytes?: number;
  /** How long each poll waits for records (0-30000). */
  maxWaitMs?: number;
  keyFormat?: Format;
  valueFormat?: Format;
  retry?: RetryPolicy;
  /** The member's partitions changed (after a join or a rebalance). */
  onAssignment?: (assignment: Assignment[], memberEpoch: number) => void;
  /** A poll waited its maxWaitMs and found nothing, with the assignment unchanged. */
  onIdle?: () => void;
  /** A failure the loop recovers from (it retries, rejoins, or leaves a commit to another). */
  onError?: (error: TributaryError) => void;
}

export interface BatchContext {
  memberId: string;
  memberEpoch: number;
  assignment: Assignment[];
}

export type BatchHandler = (records: GroupRecord[], context: BatchContext) => unknown;

export class GroupConsumer {
  private member: JoinedMember | undefined;
  private state: MemberState | undefined;
  private readonly closed = new AbortController();
  private running: Promise<void> | undefined;
  private heartbeatInFlight = false;
  private readonly retry;

  constructor(
    private readonly client: TributaryClient,
    readonly group: string,
    private readonly options: GroupConsumerOptions,
  ) {
    if ((options.topics === undefined) === (options.topicPattern === undefined)) {
      throw TributaryError.client(
        'INVALID_ARGUMENT',
        'give exactly one of topics and topicPattern',
      );
    }
    this.retry = resolveRetry(options.retry);
  }

  get memberId(): string | undefined {
    return this.member?.memberId;
  }

  get assignment(): Assignment[] {
    return this.state?.assignment ?? [];
  }

  /** Runs the loop until close() (resolves) or a failure it cannot recover from (rejects). */
  run(handler: BatchHandler): Promise<void> {
    if (this.running !== undefined) {
      throw TributaryError.client('INVALID_ARGUMENT', 'this consumer is already running');
    }
    if (this.closed.signal.aborted) return Promise.resolve();
    this.running = this.loop(handler).finally(() => this.leave());
    return this.running;
  }

  /** Stops after the batch in hand, commits it, and leaves the group. */
  async close(): Promise<void> {
    this.closed.abort();
    await this.running?.catch(() => undefined);
  }

  private async loop(handler: BatchHandler): Promise<void> {
    const signal = this.closed.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const member = this.member ?? (await this.join());
        const epoch = this.state?.memberEpoch;
        const polled = await this.client.poll(this.group, member.memberId, {
          maxRecords: this.maxRecords(),
          maxWaitMs: this.options.maxWaitMs ?? CLIENT_DEFAULTS.pollWaitMs,
          ...this.readFormats(),
          signal,
        });
        failures = 0;
        this.update(polled);
        if (polled.records.length === 0) {
          if (polled.memberEpoch === epoch && !signal.aborted) this.options.onIdle?.();
          continue;
        }
        await this.handle(handler, polled.records);
        await this.commit(polled.records);
      } catch (error) {
        if (error instanceof HandlerFailure) throw error.error;
        const failure = fromFailure(error, `group ${this.group}`);
        if (signal.aborted && failure.code === 'ABORTED') return;
        if (failure.code === 'UNKNOWN_MEMBER') this.member = undefined;
        else if (!failure.retriable) throw failure;
        if (++failures >= this.retry.attemptsMax) throw failure;
        this.options.onError?.(failure);
        await delay(backoffMs(this.retry, failures, failure.retryAfterMs), signal);
      }
    }
  }

  private async join(): Promise<JoinedMember> {
    const { options } = this;
    const joined = await this.client.joinGroup(this.group, {
      ...(options.topics === undefined ? {} : { topics: options.topics }),
      ...(options.topicPattern === undefined ? {} : { topicPattern: options.topicPattern }),
      sessionTimeoutMs: options.sessionTimeoutMs ?? CLIENT_DEFAULTS.sessionTimeoutMs,
      ...(options.autoOffsetReset === undefined
        ? {}
        : { autoOffsetReset: options.autoOffsetReset }),
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
      ...(options.assignor === undefined ? {} : { assignor: options.assignor }),
      // Committed here, after the handler; never by the server on the next poll.
      autoCommit: false,
    });
    this.member = joined;
    this.state = undefined;
    this.update(joined);
    return joined;
  }

  /** Runs the handler, heartbeating meanwhile. */
  private async handle(handler: BatchHandler, records: GroupRecord[]): Promise<void> {
    const member = this.member!;
    const timer = setInterval(() => void this.heartbeat(member), member.heartbeatIntervalMs);
    try {
      await handler(records, {
        memberId: member.memberId,
        memberEpoch: this.state?.memberEpoch ?? member.memberEpoch,
        assignment: this.assignment,
      });
    } catch (error) {
      throw new HandlerFailure(error);
    } finally {
      clearInterval(timer);
    }
  }

  private async heartbeat(member: JoinedMember): Promise<void> {
    if (this.heartbeatInFlight || this.member !== member) return;
    this.heartbeatInFlight = true;
    try {
      this.update(await this.client.heartbeat(this.group, member.memberId));
    } catch (error) {
      // Left to the commit, which meets the same failure and deals with it.
      this.options.onError?.(fromFailure(error, `heartbeat of group ${this.group}`));
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /** Commits the next offset of every partition in `records`, retrying what may be retried. */
  private async commit(records: GroupRecord[]): Promise<void> {
    let offsets = nextOffsets(records);
    for (let attempt = 1; offsets.length > 0; attempt++) {
      const member = this.member;
      if (member === undefined) return;
      try {
        this.update(await this.client.commit(this.group, member.memberId, offsets));
        return;
      } catch (error) {
        const failure = fromFailure(error, `commit of group ${this.group}`);
        if (failure.code === 'UNKNOWN_MEMBER') {
          // The session ran out: whoever owns the partitions now reads them from the commit.
          this.member = undefined;
          this.options.onError?.(failure);
          return;
        }
        if (isTributaryError(failure, 'STALE_MEMBER_EPOCH') && attempt === 1) {
          // Some partitions moved during the handler: commit the ones still owned.
          this.options.onError?.(failure);
          this.update(await this.client.heartbeat(this.group, member.memberId));
          offsets = offsets.filter((o) => this.owns(o.topic, o.partition));
          continue;
        }
        if (!failure.retriable || attempt >= this.retry.attemptsMax) throw failure;
        this.options.onError?.(failure);
        await delay(backoffMs(this.retry, attempt, failure.retryAfterMs));
      }
    }
  }

  private async leave(): Promise<void> {
    const member = this.member;
    this.member = undefined;
    if (member === undefined) return;
    try {
      await this.client.leaveGroup(this.group, member.memberId);
    } catch (error) {
      if (!isTributaryError(error, 'UNKNOWN_MEMBER')) {
        this.options.onError?.(fromFailure(error, `leaving group ${this.group}`));
      }
    }
  }

  private update(state: MemberState): void {
    const before = this.state;
    this.state = { memberEpoch: state.memberEpoch, assignment: state.assignment };
    if (
      before === undefined ||
      before.memberEpoch !== state.memberEpoch ||
      JSON.stringify(before.assignment) !== JSON.stringify(state.assignment)
    ) {
      this.options.onAssignment?.(state.assignment, state.memberEpoch);
    }
  }

  private owns(topic: string, partition: number): boolean {
    return this.assignment.some((a) => a.topic === topic && a.partitions.includes(partition));
  }

  private maxRecords(): number {
    const { maxRecords } = this.options;
    return typeof maxRecords === 'function'
      ? maxRecords()
      : (maxRecords ?? CLIENT_DEFAULTS.pollRecordsMax);
  }

  private readFormats(): { keyFormat?: Format; valueFormat?: Format; maxBytes?: number } {
    const { keyFormat, valueFormat, maxBytes } = this.options;
    return {
      ...(keyFormat === undefined ? {} : { keyFormat }),
      ...(valueFormat === undefined ? {} : { valueFormat }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
    };
  }
}

/** Per topic and partition, the offset after the last record: what to commit. */
export function nextOffsets(records: readonly GroupRecord[]): CommitOffset[] {
  const next = new Map<string, CommitOffset>();
  for (const record of records) {
    const key = `${record.partition}:${record.topic}`;
    const current = next.get(key);
    if (current === undefined || current.offset < record.offset + 1) {
      next.set(key, {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
    }
  }
  return [...next.values()];
}
