// The BrokerClient every node's gateway uses: each call goes to the partition's leader as this
// node knows it (its own PartitionManager, or another node over the RPC), multi-partition calls
// as one call per leader. A partition without a leader is refused with the retriable
// NOT_LEADER_OR_FOLLOWER; so is one a node no longer hosts while this node still knows the
// topic (it moved, and the news has not arrived here yet).
//
// A produce refused with NOT_LEADER_OR_FOLLOWER wrote nothing (or what it wrote was discarded
// by the new leader), so it is sent again, to the leader as this node then knows it, a few
// times within its timeout: a leadership that moves (a controlled shutdown, a reassignment, a
// preferred-leader election) costs the writer a short wait, not an error.
import { BrokerError, isBrokerError } from '@tributary/common';
import {
  type BrokerClient,
  type FetchManyRequest,
  type FetchManyResult,
  type FetchRequest,
  type FetchResult,
  type OffsetLookup,
  type OffsetSpec,
  type Outcome,
  type PartitionPosition,
  type PartitionState,
  type ProduceRequest,
  type ProduceResult,
} from './broker-client';
import { type TopicPartition } from './topic-partition';
import { type WakeReason } from './wait-set';

export interface LeaderDirectory {
  /** The partition's leader as this node knows it: -1 for none, undefined when unknown. */
  leaderOf(tp: TopicPartition): number | undefined;
  /** How to reach a node: this node's own manager, or the RPC to another. */
  brokerFor(nodeId: number): BrokerClient;
  /**
   * Whether the node stopped in a controlled shutdown: it handed every leadership over and
   * finished its parked writes before it let go, so a call to it that failed wrote nothing.
   */
  handedOver?(nodeId: number): boolean;
}

/** While some partitions have no leader, a wait on many looks again this often. */
const LEADERLESS_RECHECK_MS = 250;
/** A produce refused for want of its leader is sent again after these waits, within its timeout. */
const PRODUCE_REROUTE_BACKOFF_MS = [10, 25, 50, 100, 200, 400, 400, 400, 400, 400, 400, 400];

export class RoutingBrokerClient implements BrokerClient {
  constructor(private readonly directory: LeaderDirectory) {}

  /** The leader's client for `tp`, or the error to answer. */
  private route(tp: TopicPartition): { leader: number; broker: BrokerClient } {
    const leader = this.directory.leaderOf(tp);
    if (leader === undefined) {
      throw new BrokerError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `partition ${tp.partition} does not exist`,
      );
    }
    if (leader < 0) {
      throw new BrokerError(
        'NOT_LEADER_OR_FOLLOWER',
        `partition ${tp.partition} has no leader right now; retry`,
      );
    }
    try {
      return { leader, broker: this.directory.brokerFor(leader) };
    } catch (error) {
      // The leader as this node knows it is dead (the news of its successor has not arrived
      // yet): nothing was sent, so it is the retriable refusal a produce is sent on after.
      if (!isBrokerError(error, 'NETWORK_EXCEPTION')) throw error;
      throw movedError(error);
    }
  }

  /**
   * Calls `call` once per leader with the items it leads, and puts the answers back in order;
   * `failed` makes the answer for an item whose call failed (given the node it was sent to).
   */
  private async perLeader<T, R>(
    items: readonly T[],
    tpOf: (item: T) => TopicPartition,
    call: (broker: BrokerClient, items: T[]) => Promise<R[]>,
    failed: (error: BrokerError, node?: number) => R,
  ): Promise<R[]> {
    const results = new Array<R>(items.length);
    const groups = new Map<number, { broker: BrokerClient; indexes: number[] }>();
    items.forEach((item, i) => {
      try {
        const { leader, broker } = this.route(tpOf(item));
        let group = groups.get(leader);
        if (group === undefined) groups.set(leader, (group = { broker, indexes: [] }));
        group.indexes.push(i);
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        results[i] = failed(error);
      }
    });
    await Promise.all(
      [...groups].map(async ([node, { broker, indexes }]) => {
        try {
          const answers = await call(
            broker,
            indexes.map((i) => items[i]!),
          );
          indexes.forEach((index, j) => (results[index] = answers[j]!));
        } catch (error) {
          if (!(error instanceof BrokerError)) throw error;
          for (const index of indexes) results[index] = failed(error, node);
        }
      }),
    );
    return results;
  }

  async produce(requests: readonly ProduceRequest[]): Promise<Outcome<ProduceResult>[]> {
    const startedMs = performance.now();
    const results = await this.produceOnce(requests);
    for (const backoffMs of PRODUCE_REROUTE_BACKOFF_MS) {
      const again = results.flatMap((outcome, i) =>
        !outcome.ok &&
        isBrokerError(outcome.error, 'NOT_LEADER_OR_FOLLOWER') &&
        performance.now() + backoffMs - startedMs < requests[i]!.timeoutMs
          ? [i]
          : [],
      );
      if (again.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      const answers = await this.produceOnce(again.map((i) => requests[i]!));
      again.forEach((index, j) => (results[index] = answers[j]!));
    }
    return results;
  }

  private produceOnce(requests: readonly ProduceRequest[]): Promise<Outcome<ProduceResult>[]> {
    return this.perLeader(
      requests,
      (r) => r,
      async (broker, group) => (await broker.produce(group)).map(moved),
      (error, node): Outcome<ProduceResult> => ({
        ok: false,
        // A node gone in a controlled shutdown wrote nothing for a call that failed on it.
        error:
          isBrokerError(error, 'NETWORK_EXCEPTION') &&
          node !== undefined &&
          this.directory.handedOver?.(node) === true
            ? movedError(error)
            : error,
      }),
    );
  }

  fetch(request: FetchRequest): Promise<FetchResult> {
    return this.single(request, (broker) => broker.fetch(request));
  }

  fetchMany(request: FetchManyRequest): Promise<FetchManyResult> {
    return this.perLeader(
      request.positions,
      (p) => p,
      async (broker, positions) =>
        (await broker.fetchMany({ positions, maxBytes: request.maxBytes })).map((r) =>
          r === undefined ? r : moved(r),
        ),
      (error): Outcome<FetchResult> => ({ ok: false, error }),
    );
  }

  async awaitRecords(
    positions: readonly PartitionPosition[],
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<WakeReason> {
    const groups = new Map<number, { broker: BrokerClient; positions: PartitionPosition[] }>();
    let leaderless = false;
    for (const position of positions) {
      const leader = this.directory.leaderOf(position);
      if (leader === undefined) return 'data'; // gone: the caller looks again and finds out
      if (leader < 0) {
        leaderless = true;
        continue;
      }
      let group = groups.get(leader);
      if (group === undefined) {
        groups.set(leader, (group = { broker: this.directory.brokerFor(leader), positions: [] }));
      }
      group.positions.push(position);
    }
    const waitMs = leaderless ? Math.min(maxWaitMs, LEADERLESS_RECHECK_MS) : maxWaitMs;
    if (groups.size === 0) return waitLeaderless(waitMs, signal);
    if (groups.size === 1) {
      const [group] = groups.values();
      return group!.broker.awaitRecords(group!.positions, waitMs, signal);
    }
    // One wait per leader; the first with news ends the others.
    const race = new AbortController();
    const onAbort = () => race.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const reasons = [...groups.values()].map((g) =>
        g.broker.awaitRecords(g.positions, waitMs, race.signal).then((reason) => {
          if (reason === 'data') race.abort();
          return reason;
        }),
      );
      const all = await Promise.allSettled(reasons);
      if (all.some((r) => r.status === 'fulfilled' && r.value === 'data')) return 'data';
      const failed = all.find((r) => r.status === 'rejected');
      // A leader that cannot be reached is news too: the caller's read will say what it is.
      if (failed !== undefined) return 'data';
      return signal?.aborted === true ? 'aborted' : 'timeout';
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  listOffset(tp: TopicPartition, spec: OffsetSpec): Promise<OffsetLookup> {
    return this.single(tp, (broker) => broker.listOffset(tp, spec));
  }

  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<number> {
    return this.single(tp, (broker) => broker.deleteRecords(tp, beforeOffset));
  }

  states(tps: readonly TopicPartition[]): Promise<Outcome<PartitionState>[]> {
    return this.perLeader(
      tps,
      (tp) => tp,
      async (broker, group) => (await broker.states(group)).map(moved),
      (error): Outcome<PartitionState> => ({ ok: false, error }),
    );
  }

  private async single<T>(
    tp: TopicPartition,
    call: (broker: BrokerClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(this.route(tp).broker);
    } catch (error) {
      throw isBrokerError(error, 'UNKNOWN_TOPIC_OR_PARTITION') && this.known(tp)
        ? movedError(error)
        : error;
    }
  }

  private known(tp: TopicPartition): boolean {
    return this.directory.leaderOf(tp) !== undefined;
  }
}

/** A leader that does not host a partition this node routed to it: the partition moved. */
function moved<T>(outcome: Outcome<T>): Outcome<T> {
  if (outcome.ok || !isBrokerError(outcome.error, 'UNKNOWN_TOPIC_OR_PARTITION')) return outcome;
  return { ok: false, error: movedError(outcome.error) };
}

function movedError(cause: BrokerError): BrokerError {
  return new BrokerError('NOT_LEADER_OR_FOLLOWER', 'the partition moved to another node; retry', {
    cause,
  });
}

/** Every watched partition is between leaders: look again after `ms`. */
function waitLeaderless(ms: number, signal?: AbortSignal): Promise<WakeReason> {
  if (ms <= 0) return Promise.resolve('timeout');
  return new Promise((resolve) => {
    const done = (reason: WakeReason) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done('timeout'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
