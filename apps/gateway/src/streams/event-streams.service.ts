// Server-Sent Events of one topic (`GET /v1/topics/{topic}/events`). Two kinds of stream:
//
// - Without a group, the connection reads every partition itself, from `from` or from where
//   Last-Event-ID says it stopped (event-cursor.ts); its positions die with it.
// - With a group, the connection is a member of that group (joined with the stream's topic as
//   its subscription) and loops on the member's long poll, so the group's other members (SSE,
//   WebSocket or REST) share the partitions with it. Positions are the group's; Last-Event-ID
//   is not used. The positions a poll returned are committed just before the next poll, once
//   its records were written out, and never on the way out: a batch the client may not have
//   received goes to the next owner again (at-least-once; ids let clients drop duplicates).
//   The member leaves when the stream ends, so its partitions move on at once.
//
// Both park on the partitions' waiters (no polling timers), write each batch of events as one
// write and wait for 'drain' before reading more. Errors before the first byte are problem+json;
// after it, one `event: error` carrying the problem ends the stream. A client over its fetch
// quota is slowed down, as Kafka throttles fetches, rather than cut off.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, isBrokerError, LIMITS } from '@tributary/common';
import { MetadataCache, type Topic } from '@tributary/metadata';
import { type BrokerClient, type OffsetSpec } from '@tributary/partitions';
import { type Response } from 'express';
import { type Logger } from 'pino';
import { Gauge } from 'prom-client';
import { type TenantPrincipal } from '../auth/principal';
import { deadlineOrAbort } from '../groups/group-calls';
import { GroupMembersService, type MemberAnswer } from '../groups/group-members.service';
import { type GroupRecordJson } from '../groups/member-fetcher';
import { isAssertion, problemOf, toBrokerError } from '../http/problem';
import { BROKER_CLIENT, LOGGER } from '../node-services';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { QuotaService } from '../records/quotas';
import { type FetchedRecordJson } from '../records/record-codec';
import { findTopic, unknownTopic } from '../topics/topic-access';
import { formatCursor } from './event-cursor';
import { SseWriter } from './sse-writer';
import { type Formats, TopicReader } from './topic-reader';

export interface StreamParams extends Formats {
  /** Read as a member of this consumer group. */
  group: string | undefined;
  from: OffsetSpec;
  /** Last-Event-ID: partition -> last offset delivered (streams without a group only). */
  delivered: ReadonlyMap<number, number> | undefined;
}

export interface StreamTarget {
  res: Response;
  requestId: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
}

/** Streams one node serves at once (each holds a connection and a parked waiter). */
export const EVENT_STREAMS_MAX = 5_000;
/** One batch of events: at most this many records and about this many RecordBatch bytes. */
const BATCH_RECORDS_MAX = LIMITS.fetchRecordsDefault;
const BATCH_BYTES_MAX = LIMITS.fetchBytesDefault;
/** How long one park lasts before the loop looks again (key revoked, partitions added). */
const TOPIC_PARK_MS = LIMITS.fetchWaitMsMax;
/** The group member's long poll; each poll is also its heartbeat. */
const GROUP_POLL_WAIT_MS = 15_000;

@Injectable()
export class EventStreamsService {
  private readonly open = new Set<AbortController>();
  private idleWatchers: (() => void)[] = [];
  private draining = false;

  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly quotas: QuotaService,
    private readonly metrics: GatewayMetrics,
    private readonly members: GroupMembersService,
  ) {
    const open = this.open;
    new Gauge({
      name: 'tributary_event_streams',
      help: 'Server-Sent Events streams open',
      registers: [metrics.registry],
      collect() {
        this.set(open.size);
      },
    });
  }

  /**
   * Serves one stream until the client goes away, the node drains or an error ends it. What
   * fails before the stream starts is thrown, for the problem+json filter.
   */
  async serve(
    auth: TenantPrincipal,
    topicName: string,
    params: StreamParams,
    target: StreamTarget,
  ): Promise<void> {
    if (this.draining) {
      throw new BrokerError('UNAVAILABLE', 'this node is shutting down; reconnect');
    }
    if (this.open.size >= EVENT_STREAMS_MAX) {
      throw new BrokerError('UNAVAILABLE', `${this.open.size} event streams are open; retry`);
    }
    const topic = findTopic(this.cache, auth, topicName, 'read');
    this.quotas.check(auth.tenant, 'fetch');
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    target.signal.addEventListener('abort', onAbort, { once: true });
    if (target.signal.aborted) abort.abort();
    this.open.add(abort);
    try {
      const { group } = params;
      if (group === undefined) {
        const reader = await TopicReader.open(this.broker, topic, params.from, params.delivered);
        await this.run(target, abort.signal, (out) =>
          this.streamTopic(auth, topic, reader, params, out, abort.signal),
        );
        return;
      }
      const member = await this.members.join(auth, group, {
        subscription: { topics: [topic.name] },
        sessionTimeoutMs: LIMITS.sessionTimeoutMsDefault,
        autoOffsetReset: params.from === 'earliest' ? 'earliest' : 'latest',
        // Committed by this stream, only after the records were written out (see above).
        autoCommit: false,
      });
      await this.run(
        target,
        abort.signal,
        (out) => this.streamGroup(auth, group, member, params, out, abort.signal),
        () => this.leave(auth, group, member.memberId),
      );
    } finally {
      target.signal.removeEventListener('abort', onAbort);
      this.open.delete(abort);
      if (this.open.size === 0) this.notifyIdle();
    }
  }

  /** Shutting down: every stream ends (group members leave), new ones are refused. */
  drain(): void {
    this.draining = true;
    for (const abort of this.open) abort.abort();
  }

  /** Resolves once no stream is open (lets tests wait for streams to finish closing). */
  whenIdle(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWatchers.push(resolve));
  }

  /**
   * Starts the event stream, runs `body` until it returns or fails, sends a failure as
   * `event: error`, runs `cleanup` (while the response is still open, so a draining node
   * waits for it), and ends the response. A bug is rethrown for the filter to report.
   */
  private async run(
    target: StreamTarget,
    signal: AbortSignal,
    body: (out: SseWriter) => Promise<void>,
    cleanup?: () => Promise<void>,
  ): Promise<void> {
    const out = new SseWriter(target.res);
    let failure: unknown;
    try {
      out.start();
      await body(out);
    } catch (error) {
      failure = error;
      const coded = toBrokerError(error);
      if (coded === undefined) {
        this.logger.error({ reqId: target.requestId, err: error }, 'event stream failed');
      } else if (coded.status >= 500) {
        this.logger.warn({ reqId: target.requestId, err: coded }, coded.message);
      }
      const problem = coded ?? new BrokerError('INTERNAL', 'an unexpected error occurred');
      if (!signal.aborted) out.event('error', problemOf(problem, target.requestId));
    } finally {
      try {
        await cleanup?.();
      } finally {
        out.end();
      }
    }
    if (isAssertion(failure)) throw failure;
  }

  private async streamTopic(
    joined: TenantPrincipal,
    started: Topic,
    reader: TopicReader,
    formats: Formats,
    out: SseWriter,
    signal: AbortSignal,
  ): Promise<void> {
    // The start positions, so that even a client that saw no record resumes where it began.
    out.records([], formatCursor(reader.nextOffsets));
    while (!signal.aborted && !out.closed) {
      const auth = this.stillValid(joined);
      // Deleted (or deleted and created again under the same name) while streaming.
      const topic = this.cache.topic(started.id);
      if (topic === undefined) throw unknownTopic(started.name);
      await reader.refresh(topic);
      if (await this.throttled(auth, signal)) continue;
      const batch = await reader.read(BATCH_RECORDS_MAX, BATCH_BYTES_MAX, formats);
      if (batch.bytes > 0) {
        this.metrics.countTraffic(
          'fetch',
          auth.tenant.name,
          topic,
          batch.records.length,
          batch.bytes,
        );
        this.quotas.charge(auth.tenant, 'fetch', batch.bytes);
      }
      if (batch.records.length > 0) {
        if (!out.records(batch.records, formatCursor(reader.nextOffsets))) {
          await out.drained(signal);
        }
        continue;
      }
      await reader.park(TOPIC_PARK_MS, signal);
    }
  }

  private async streamGroup(
    joined: TenantPrincipal,
    groupId: string,
    member: MemberAnswer,
    formats: Formats,
    out: SseWriter,
    signal: AbortSignal,
  ): Promise<void> {
    const { memberId } = member;
    let assignment = this.sendAssignment(out, member);
    let uncommitted = false;
    while (!signal.aborted && !out.closed) {
      const auth = this.stillValid(joined);
      if (uncommitted) {
        await this.members.commit(auth, groupId, memberId, undefined, undefined);
        uncommitted = false;
      }
      let answer;
      try {
        answer = await this.members.poll(
          auth,
          groupId,
          memberId,
          {
            maxRecords: BATCH_RECORDS_MAX,
            maxBytes: BATCH_BYTES_MAX,
            maxWaitMs: GROUP_POLL_WAIT_MS,
            ...formats,
          },
          signal,
        );
      } catch (error) {
        if (!isBrokerError(error, 'QUOTA_EXCEEDED')) throw error;
        await pauseFor(error, signal);
        continue;
      }
      const changed = JSON.stringify(answer.assignment) !== assignment;
      if (changed) assignment = this.sendAssignment(out, { memberId, ...answer });
      if (answer.records.length > 0) {
        if (!out.records(answer.records.map(withoutTopic))) await out.drained(signal);
        uncommitted = true;
      }
    }
  }

  /** `event: assignment` with the stream's partitions; returns what was sent, to compare. */
  private sendAssignment(
    out: SseWriter,
    member: Pick<MemberAnswer, 'memberId' | 'memberEpoch' | 'assignment'>,
  ): string {
    out.event('assignment', {
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      partitions: member.assignment.flatMap((a) => a.partitions),
    });
    return JSON.stringify(member.assignment);
  }

  private async leave(auth: TenantPrincipal, groupId: string, memberId: string): Promise<void> {
    try {
      await this.members.leave(auth, groupId, memberId);
    } catch (error) {
      // A member whose session ran out is already gone.
      if (isBrokerError(error, 'UNKNOWN_MEMBER')) return;
      this.logger.warn({ err: error, groupId, memberId }, 'event stream could not leave');
    }
  }

  /**
   * Over the fetch quota, the stream pauses until the debt is paid (Kafka throttles fetches
   * the same way). Returns true after a pause.
   */
  private async throttled(auth: TenantPrincipal, signal: AbortSignal): Promise<boolean> {
    try {
      this.quotas.check(auth.tenant, 'fetch');
      return false;
    } catch (error) {
      if (!isBrokerError(error, 'QUOTA_EXCEEDED')) throw error;
      await pauseFor(error, signal);
      return true;
    }
  }

  /** The caller as it is now: a key revoked (or a tenant deleted) while streaming ends it. */
  private stillValid(auth: TenantPrincipal): TenantPrincipal {
    const cache = this.cache;
    const key = cache.apiKey(auth.key.id);
    const tenant = cache.tenant(auth.tenant.id);
    if (key === undefined || key.revokedAtMs !== null || tenant === undefined) {
      throw new BrokerError('UNAUTHENTICATED', 'the key was revoked while the stream was open');
    }
    return { kind: 'tenant', key, tenant };
  }

  private notifyIdle(): void {
    const watchers = this.idleWatchers;
    this.idleWatchers = [];
    for (const resolve of watchers) resolve();
  }
}

/** The stream is of one topic: its records look like fetch records. */
function withoutTopic(record: GroupRecordJson): FetchedRecordJson {
  const { topic: _topic, ...rest } = record;
  return rest;
}

/** Waits out a QUOTA_EXCEEDED's Retry-After, or until the stream ends. */
function pauseFor(error: BrokerError, signal: AbortSignal): Promise<void> {
  const seconds = error.extra.retryAfterSeconds;
  return deadlineOrAbort(typeof seconds === 'number' ? seconds * 1000 : 1000, signal);
}
