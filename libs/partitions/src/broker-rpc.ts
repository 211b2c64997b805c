// The BrokerClient calls and the follower fetch over the internal RPC: which method number each
// is, what its header holds and how record bytes ride in the body (batches exactly as stored,
// several partitions' concatenated, their lengths in the header). `serveBroker` answers them
// from this node's PartitionManager; `RemoteBroker` makes them to another node, and is itself a
// BrokerClient (and a follower's LeaderEndpoint).
import { BrokerError } from '@tributary/common';
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
import { type PartitionManager } from './partition-manager';
import { type ReplicaFetchAnswer, type ReplicaFetchRequest } from './replica-fetch';
import { type LeaderEndpoint } from './replica-fetcher';
import { isAborted, type RpcClient } from './rpc-client';
import { type RpcAnswer, type RpcCall, type WireError } from './rpc-server';
import { type TopicPartition } from './topic-partition';
import { type WakeReason } from './wait-set';

export const BrokerMethod = {
  Produce: 1,
  Fetch: 2,
  FetchMany: 3,
  AwaitRecords: 4,
  ListOffset: 5,
  DeleteRecords: 6,
  States: 7,
  ReplicaFetch: 8,
} as const;

/** Time an RPC adds to a call's own wait before the caller gives up on the node. */
const RPC_SLACK_MS = 5_000;
const EMPTY = Buffer.alloc(0);

type WireOutcome<T> = { ok: true; value: T } | { ok: false; error: WireError };

function toWire<T>(outcome: Outcome<T>): WireOutcome<T> {
  if (outcome.ok) return outcome;
  const { code, message, extra } = outcome.error;
  return { ok: false, error: { code, message, extra: { ...extra } } };
}

function fromWire<T>(outcome: WireOutcome<T>): Outcome<T> {
  if (outcome.ok) return outcome;
  const { code, message, extra } = outcome.error;
  return {
    ok: false,
    error: new BrokerError(
      code as BrokerError['code'],
      message,
      extra === undefined ? {} : { extra },
    ),
  };
}

/** Cuts a body into pieces of the given lengths, in order. */
function split(body: Buffer, lengths: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const length of lengths) {
    pieces.push(body.subarray(at, at + length));
    at += length;
  }
  if (at !== body.length) throw new BrokerError('CORRUPT_RECORD', 'rpc body lengths do not add up');
  return pieces;
}

/** What a value with records becomes on the wire: its other fields, and its records' length. */
type Packed<T> = Omit<T, 'records'> & { bytes: number };

/**
 * Outcomes whose values carry records: the fields go in the header, the records one after
 * another in the body (null stands for an outcome left out, e.g. a read the budget skipped).
 */
function packOutcomes<T extends { records: Buffer }>(
  outcomes: readonly (Outcome<T> | undefined)[],
): { wire: (WireOutcome<Packed<T>> | null)[]; body: Buffer } {
  const bodies: Buffer[] = [];
  const wire = outcomes.map((o): WireOutcome<Packed<T>> | null => {
    if (o === undefined) return null;
    if (!o.ok) return toWire<Packed<T>>(o);
    const { records, ...rest } = o.value;
    bodies.push(records);
    return { ok: true as const, value: { ...rest, bytes: records.length } };
  });
  return { wire, body: Buffer.concat(bodies) };
}

function unpackOutcomes<T extends { records: Buffer }>(
  wire: readonly (WireOutcome<Packed<T>> | null)[],
  body: Buffer | undefined,
): (Outcome<T> | undefined)[] {
  const records = split(
    body ?? EMPTY,
    wire.map((w) => (w !== null && w.ok ? w.value.bytes : 0)),
  );
  return wire.map((w, i) => {
    if (w === null) return undefined;
    if (!w.ok) return fromWire(w);
    const { bytes: _bytes, ...rest } = w.value;
    return { ok: true, value: { ...rest, records: records[i]! } as unknown as T };
  });
}

// ---- serving ----

type ProduceHeader = { requests: (Omit<ProduceRequest, 'batch'> & { bytes: number })[] };
type FetchHeader = Omit<FetchRequest, 'signal'>;
type FetchAnswerHeader = Omit<FetchResult, 'records'>;
type FetchManyAnswerHeader = { results: (WireOutcome<Packed<FetchResult>> | null)[] };
type AwaitHeader = { positions: PartitionPosition[]; maxWaitMs: number };
type ReplicaFetchAnswerHeader = { answers: WireOutcome<Packed<ReplicaFetchAnswer>>[] };

/** Answers another node's calls from this node's partitions. */
export function serveBroker(manager: PartitionManager): (call: RpcCall) => Promise<RpcAnswer> {
  return async ({ method, header, body, signal }) => {
    switch (method) {
      case BrokerMethod.Produce: {
        const { requests } = header as ProduceHeader;
        const batches = split(
          body,
          requests.map((r) => r.bytes),
        );
        const outcomes = await manager.produce(
          requests.map(({ bytes: _bytes, ...r }, i) => ({ ...r, batch: batches[i]! })),
        );
        return { header: { outcomes: outcomes.map(toWire) } };
      }
      case BrokerMethod.Fetch: {
        const { records, ...rest } = await manager.fetch({ ...(header as FetchHeader), signal });
        return { header: rest, body: records };
      }
      case BrokerMethod.FetchMany: {
        const { wire, body: records } = packOutcomes(
          await manager.fetchMany(header as FetchManyRequest),
        );
        return { header: { results: wire }, body: records };
      }
      case BrokerMethod.AwaitRecords: {
        const { positions, maxWaitMs } = header as AwaitHeader;
        return { header: { reason: await manager.awaitRecords(positions, maxWaitMs, signal) } };
      }
      case BrokerMethod.ListOffset: {
        const { tp, spec } = header as { tp: TopicPartition; spec: OffsetSpec };
        return { header: await manager.listOffset(tp, spec) };
      }
      case BrokerMethod.DeleteRecords: {
        const { tp, beforeOffset } = header as { tp: TopicPartition; beforeOffset: number };
        return { header: { logStartOffset: await manager.deleteRecords(tp, beforeOffset) } };
      }
      case BrokerMethod.States: {
        const { tps } = header as { tps: TopicPartition[] };
        return { header: { outcomes: (await manager.states(tps)).map(toWire) } };
      }
      case BrokerMethod.ReplicaFetch: {
        const { wire, body: records } = packOutcomes(
          await manager.replicaFetch(header as ReplicaFetchRequest, signal),
        );
        return { header: { answers: wire }, body: records };
      }
      default:
        throw new BrokerError('INVALID_REQUEST', `unknown rpc method ${method}`);
    }
  };
}

// ---- calling ----

/** Another node's partitions, reached over the RPC. */
export class RemoteBroker implements BrokerClient, LeaderEndpoint {
  constructor(private readonly rpc: RpcClient) {}

  async produce(requests: readonly ProduceRequest[]): Promise<Outcome<ProduceResult>[]> {
    const timeoutMs = Math.max(...requests.map((r) => r.timeoutMs)) + RPC_SLACK_MS;
    const header: ProduceHeader = {
      requests: requests.map(({ batch, ...r }) => ({ ...r, bytes: batch.length })),
    };
    const answer = await this.rpc.call(
      BrokerMethod.Produce,
      header,
      Buffer.concat(requests.map((r) => r.batch)),
      { timeoutMs },
    );
    return (answer.header as { outcomes: WireOutcome<ProduceResult>[] }).outcomes.map(fromWire);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const { signal, ...header } = request;
    try {
      const answer = await this.rpc.call(BrokerMethod.Fetch, header, EMPTY, {
        timeoutMs: request.maxWaitMs + RPC_SLACK_MS,
        ...(signal === undefined ? {} : { signal }),
      });
      return { ...(answer.header as FetchAnswerHeader), records: answer.body ?? EMPTY };
    } catch (error) {
      // The caller went away: it gets what an abandoned long-poll gets, nothing.
      if (isAborted(error))
        return {
          records: EMPTY,
          nextOffset: request.offset,
          highWatermark: -1,
          logStartOffset: -1,
        };
      throw error;
    }
  }

  async fetchMany(request: FetchManyRequest): Promise<FetchManyResult> {
    const answer = await this.rpc.call(BrokerMethod.FetchMany, request);
    const { results } = answer.header as FetchManyAnswerHeader;
    return unpackOutcomes<FetchResult>(results, answer.body);
  }

  async awaitRecords(
    positions: readonly PartitionPosition[],
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<WakeReason> {
    try {
      const answer = await this.rpc.call(
        BrokerMethod.AwaitRecords,
        { positions, maxWaitMs },
        EMPTY,
        { timeoutMs: maxWaitMs + RPC_SLACK_MS, ...(signal === undefined ? {} : { signal }) },
      );
      return (answer.header as { reason: WakeReason }).reason;
    } catch (error) {
      if (isAborted(error)) return 'aborted';
      throw error;
    }
  }

  async listOffset(tp: TopicPartition, spec: OffsetSpec): Promise<OffsetLookup> {
    return (await this.rpc.call(BrokerMethod.ListOffset, { tp, spec })).header as OffsetLookup;
  }

  async deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<number> {
    const answer = await this.rpc.call(BrokerMethod.DeleteRecords, { tp, beforeOffset });
    return (answer.header as { logStartOffset: number }).logStartOffset;
  }

  async states(tps: readonly TopicPartition[]): Promise<Outcome<PartitionState>[]> {
    const answer = await this.rpc.call(BrokerMethod.States, { tps });
    return (answer.header as { outcomes: WireOutcome<PartitionState>[] }).outcomes.map(fromWire);
  }

  async replicaFetch(
    request: ReplicaFetchRequest,
    signal?: AbortSignal,
  ): Promise<Outcome<ReplicaFetchAnswer>[]> {
    const answer = await this.rpc.call(BrokerMethod.ReplicaFetch, request, EMPTY, {
      timeoutMs: request.maxWaitMs + RPC_SLACK_MS,
      ...(signal === undefined ? {} : { signal }),
    });
    const { answers } = answer.header as ReplicaFetchAnswerHeader;
    // Every answer is an outcome (the leader leaves none out).
    return unpackOutcomes<ReplicaFetchAnswer>(
      answers,
      answer.body,
    ) as Outcome<ReplicaFetchAnswer>[];
  }
}
