// Tributary's consumer groups over REST (docs/API.md, "Consumer groups"): members join, poll with
// GET .../members/{id}/records (autoCommit on: each poll commits what the previous one
// returned) and leave. Two drivers: a whole read of the stored records by a fresh group of N
// members (records/s), and the time a running group takes to rebalance when one more member
// joins while records keep arriving.
import { assert } from '@tributary/common';
import { Pool } from 'undici';
import { Histogram } from '../../common/histogram';
import { jsonStringValue } from '../../common/tributary-http';
import { caughtUp, type Driver, type DriverRun, type JobOf } from './driver';

/** A whole read that receives nothing for this long ends (what is missing counts as errors). */
const STALL_MS = 30_000;
/** Long-poll of the catch-up reads: only waits when a member's partitions are drained. */
const READ_POLL_WAIT_MS = 1_000;
/** Heartbeat rounds allowed for a group's assignment to settle after its members joined. */
const SETTLE_ROUNDS_MAX = 200;
/** How often the rebalance driver looks whether the members consume from their new targets. */
const CHECK_MS = 5;
/** How often it reads the group (GET /v1/groups/{g}) while waiting for the first members. */
const STEADY_CHECK_MS = 50;
/** The steady producer's tick: every tick sends what came due since the last. */
const PRODUCE_TICK_MS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface PollAnswer {
  records: { partition: number }[];
  memberEpoch: number;
  assignment: { topic: string; partitions: number[] }[];
}

interface GroupDescription {
  members: {
    memberId: string;
    assignment: { topic: string; partitions: number[] }[];
    targetAssignment: { topic: string; partitions: number[] }[];
  }[];
}

/** JSON calls to the node with the bench's tenant key over a pool of keep-alive connections. */
class TributaryApi {
  private readonly pool: Pool;

  constructor(
    origin: string,
    private readonly key: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections });
  }

  /** `body`: a value to send as JSON, or a string that is JSON already. */
  async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<{ json: T; bytes: number }> {
    const response = await this.pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      throw new HttpError(
        response.statusCode,
        `${method} ${path}: ${response.statusCode} ${text.slice(0, 300)}`,
      );
    return { json: (text === '' ? undefined : JSON.parse(text)) as T, bytes: text.length };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

const groupPath = (group: string) => `/v1/groups/${encodeURIComponent(group)}`;
const memberPath = (group: string, memberId: string) =>
  `${groupPath(group)}/members/${encodeURIComponent(memberId)}`;

function partitionsOf(assignment: PollAnswer['assignment'], topic: string): number[] {
  return [...(assignment.find((a) => a.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
}

const sameSet = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

async function join(
  api: TributaryApi,
  group: string,
  topic: string,
  autoOffsetReset: 'earliest' | 'latest',
): Promise<string> {
  const { json } = await api.call<{ memberId: string }>('POST', `${groupPath(group)}/members`, {
    topics: [topic],
    autoOffsetReset,
    autoCommit: true,
  });
  return json.memberId;
}

/** Each member's target partitions of `topic`, and whether it owns exactly them already. */
async function describe(api: TributaryApi, group: string, topic: string) {
  const { json } = await api.call<GroupDescription>('GET', groupPath(group));
  return new Map(
    json.members.map((m) => {
      const target = partitionsOf(m.targetAssignment, topic);
      return [m.memberId, { target, settled: sameSet(partitionsOf(m.assignment, topic), target) }];
    }),
  );
}

/**
 * Heartbeats `members` until each owns its target (the assignment a member gets only once the
 * previous owner gave the partition up) and the targets cover all `partitions`; returns them.
 */
async function settle(
  api: TributaryApi,
  group: string,
  topic: string,
  members: readonly string[],
  partitions: number,
): Promise<Map<string, number[]>> {
  for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
    const state = await describe(api, group, topic);
    const covered = new Set([...state.values()].flatMap((s) => s.target));
    if (
      members.every((m) => state.get(m)?.settled === true) &&
      covered.size === partitions &&
      state.size === members.length
    )
      return new Map([...state].map(([m, s]) => [m, s.target]));
    for (const m of members) await api.call('POST', `${memberPath(group, m)}/heartbeat`);
    await sleep(10);
  }
  throw new Error(`group ${group}: the assignment did not settle in ${SETTLE_ROUNDS_MAX} rounds`);
}

/** Leaves (best effort: a member that expired is gone already), then removes the group. */
async function dissolve(api: TributaryApi, group: string, members: readonly string[]) {
  await Promise.all(
    members.map((m) => api.call('DELETE', memberPath(group, m)).catch(() => undefined)),
  );
  await api.call('DELETE', groupPath(group)).catch(() => undefined);
}

async function highWatermarks(api: TributaryApi, topic: string): Promise<Map<number, number>> {
  const { json } = await api.call<{ partitions: { partition: number; highWatermark: number }[] }>(
    'GET',
    `/v1/topics/${encodeURIComponent(topic)}`,
  );
  return new Map(json.partitions.map((p) => [p.partition, p.highWatermark]));
}

/**
 * A whole read per run: a fresh group of `members` members joins (from "earliest"), its
 * assignment settles — neither is timed — then every member polls until it has read every
 * record of its partitions (their high watermarks: the topic is not written meanwhile).
 */
export function tributaryGroupPoll(job: JobOf<'tributary-group-poll'>): Driver {
  const api = new TributaryApi(job.origin, job.key, job.members + 1);
  const query = `maxRecords=${job.maxRecords}&maxBytes=${job.maxBytes}&maxWaitMs=${READ_POLL_WAIT_MS}`;
  let runNo = 0;
  return {
    async run(timeoutMs): Promise<DriverRun> {
      const group = `${job.groupPrefix}${runNo++}`;
      const members: string[] = [];
      for (let i = 0; i < job.members; i++)
        members.push(await join(api, group, job.topic, 'earliest'));
      try {
        const targets = await settle(api, group, job.topic, members, job.partitions);
        const watermarks = await highWatermarks(api, job.topic);
        const stored = [...watermarks.values()].reduce((sum, n) => sum + n, 0);
        assert(
          stored === job.expectedRecords,
          `the topic holds ${stored} records, not ${job.expectedRecords}`,
        );
        let polls = 0;
        let bytes = 0;
        let stopReason: string | undefined;
        const startedMs = performance.now();
        const counts = await Promise.all(
          members.map(async (memberId) => {
            const mine = targets.get(memberId)!;
            const expected = mine.reduce((sum, p) => sum + watermarks.get(p)!, 0);
            let received = 0;
            let lastProgressMs = performance.now();
            while (received < expected) {
              const now = performance.now();
              if (now - lastProgressMs > STALL_MS || now - startedMs > timeoutMs) {
                stopReason = `member ${members.indexOf(memberId)} stopped at ${received} of ${expected} records`;
                break;
              }
              const answer = await api.call<PollAnswer>(
                'GET',
                `${memberPath(group, memberId)}/records?${query}`,
              );
              polls += 1;
              bytes += answer.bytes;
              received += answer.json.records.length;
              if (answer.json.records.length > 0) lastProgressMs = performance.now();
            }
            return received;
          }),
        );
        const seconds = (performance.now() - startedMs) / 1000;
        const records = counts.reduce((sum, n) => sum + n, 0);
        return {
          ...caughtUp(records, seconds, job),
          notes: [
            `${polls} polls, ${(records / Math.max(1, polls)).toFixed(0)} records each on average; ${(bytes / Math.max(1, records)).toFixed(0)} B of JSON per record`,
            ...(stopReason === undefined ? [] : [`a read ended early: ${stopReason}`]),
          ],
        };
      } finally {
        await dissolve(api, group, members);
      }
    },
    close: () => api.close(),
  };
}

/**
 * Produces `ratePerSec` records of `valueBytes` bytes to every partition in turn (explicit
 * partitions, acks=1): one request per tick, carrying what came due since the previous one.
 */
class SteadyProducer {
  records = 0;
  errors = 0;
  lastError: string | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly value: string;

  constructor(
    private readonly api: TributaryApi,
    private readonly topic: string,
    private readonly partitions: number,
    private readonly ratePerSec: number,
    valueBytes: number,
  ) {
    this.value = jsonStringValue(valueBytes);
  }

  start(): void {
    this.running = true;
    const startedMs = performance.now();
    const path = `/v1/topics/${encodeURIComponent(this.topic)}/records?acks=1`;
    let sent = 0;
    this.loop = (async () => {
      while (this.running) {
        const due = Math.floor(((performance.now() - startedMs) * this.ratePerSec) / 1000) - sent;
        if (due > 0) {
          const records = Array.from(
            { length: due },
            (_, i) => `{"partition":${(sent + i) % this.partitions},"value":${this.value}}`,
          );
          sent += due;
          try {
            await this.api.call('POST', path, `{"records":[${records.join(',')}]}`);
            this.records += due;
          } catch (error) {
            this.errors += due;
            this.lastError = (error as Error).message;
          }
        }
        await sleep(PRODUCE_TICK_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** One poll answer of a member, as the rebalance driver keeps it. */
interface Seen {
  atMs: number;
  owned: number[];
  records: number;
}

/** A member polling in a loop until stopped; it keeps what it saw after `since`. */
class PollingMember {
  records = 0;
  errors = 0;
  lastError: string | undefined;
  /** The latest answer, and the latest one that carried records. */
  latest: Seen | undefined;
  latestWithRecords: Seen | undefined;
  /** Answers since `since` (the rebalance's start), in order. */
  readonly seen: Seen[] = [];
  since = Infinity;
  private readonly loop: Promise<void>;

  constructor(
    api: TributaryApi,
    group: string,
    readonly memberId: string,
    topic: string,
    query: string,
    signal: AbortSignal,
  ) {
    const path = `${memberPath(group, memberId)}/records?${query}`;
    this.loop = (async () => {
      while (!signal.aborted) {
        let answer: PollAnswer;
        try {
          answer = (await api.call<PollAnswer>('GET', path, undefined, signal)).json;
        } catch (error) {
          if (signal.aborted) return;
          this.errors += 1;
          this.lastError = (error as Error).message;
          // A member the group no longer knows cannot come back: the run will say so.
          if (error instanceof HttpError && error.status === 404) return;
          await sleep(50);
          continue;
        }
        const seen = {
          atMs: performance.now(),
          owned: partitionsOf(answer.assignment, topic),
          records: answer.records.length,
        };
        this.records += seen.records;
        this.latest = seen;
        if (seen.records > 0) this.latestWithRecords = seen;
        if (seen.atMs >= this.since) this.seen.push(seen);
      }
    })();
  }

  /** When it first received records while owning exactly `target` after `since`. */
  consumingFrom(target: readonly number[]): number | undefined {
    return this.seen.find((s) => s.records > 0 && sameSet(s.owned, target))?.atMs;
  }

  stopped(): Promise<void> {
    return this.loop;
  }
}

/**
 * One run: a fresh group; a steady produce stream to every partition; `members` members join
 * (from "latest") and long-poll until each consumes from its settled assignment, for
 * `settleMs`; then one more member joins. The run measures from that join request to the
 * moment every member — the new one and the old ones, each after giving up what it lost — has
 * received records while owning exactly its new target assignment (read from GET /v1/groups/{g}
 * right after the join: the targets do not change again unless membership does).
 */
export function tributaryRebalance(job: JobOf<'tributary-rebalance'>): Driver {
  const api = new TributaryApi(job.origin, job.key, job.members + 4);
  const query = `maxRecords=${job.maxRecords}&maxWaitMs=${job.pollWaitMs}`;
  let runNo = 0;

  /** Looks every `everyMs` until `check` answers; past the deadline, fails saying why. */
  async function waitUntil<T>(
    what: string,
    deadlineMs: number,
    everyMs: number,
    check: () => Promise<T | undefined>,
    details: () => string[],
  ): Promise<T> {
    for (;;) {
      const result = await check();
      if (result !== undefined) return result;
      if (performance.now() > deadlineMs)
        throw new Error(`${what}: not within the run's time. ${details().join('; ')}`);
      await sleep(everyMs);
    }
  }

  return {
    async run(timeoutMs): Promise<DriverRun> {
      const group = `${job.groupPrefix}${runNo++}`;
      const deadlineMs = performance.now() + timeoutMs;
      const producer = new SteadyProducer(
        api,
        job.topic,
        job.partitions,
        job.produceRatePerSec,
        job.messageBytes,
      );
      const abort = new AbortController();
      const members: PollingMember[] = [];
      const details = () => [
        ...members.map(
          (m, i) => `member ${i}: ${m.records} records, owns [${m.latest?.owned.join(',') ?? '?'}]`,
        ),
        ...errorNotes(members, producer),
      ];
      const start = async (since: number) => {
        const memberId = await join(api, group, job.topic, 'latest');
        const member = new PollingMember(api, group, memberId, job.topic, query, abort.signal);
        member.since = since;
        members.push(member);
      };
      producer.start();
      try {
        const startedMs = performance.now();
        for (let i = 0; i < job.members; i++) await start(Infinity);
        // Steady: every member has received records while owning exactly its target.
        await waitUntil(
          `${job.members} members consuming`,
          deadlineMs,
          STEADY_CHECK_MS,
          async () => {
            const state = await describe(api, group, job.topic);
            const steady = members.every((m) => {
              const s = state.get(m.memberId);
              const last = m.latestWithRecords;
              return s !== undefined && last !== undefined && sameSet(last.owned, s.target);
            });
            return steady ? true : undefined;
          },
          details,
        );
        await sleep(job.settleMs);

        const joinMs = performance.now();
        for (const m of members) m.since = joinMs;
        await start(joinMs);
        const joinAnsweredMs = performance.now() - joinMs;
        const targets = new Map(
          [...(await describe(api, group, job.topic))].map(([m, s]) => [m, s.target]),
        );
        const covered = new Set([...targets.values()].flat());
        assert(
          targets.size === job.members + 1 && covered.size === job.partitions,
          () => `unexpected targets after the join: ${JSON.stringify([...targets])}`,
        );
        const consuming = await waitUntil(
          'every member consuming from its new assignment',
          deadlineMs,
          CHECK_MS,
          () => {
            const times = members.map((m) => m.consumingFrom(targets.get(m.memberId)!));
            return Promise.resolve(times.every((t) => t !== undefined) ? times : undefined);
          },
          details,
        );
        const doneMs = Math.max(...consuming);
        const rebalanceMs = doneMs - joinMs;
        const latency = new Histogram();
        latency.recordMs(rebalanceMs);
        // Every answer counted so far arrived by now; later ones are not part of the run.
        const records = members.reduce((sum, m) => sum + m.records, 0);
        const after = consuming.map((t) => (t - joinMs).toFixed(0));
        const sizes = members.map((m) => targets.get(m.memberId)!.length).join('/');
        return {
          records,
          bytes: records * job.messageBytes,
          seconds: (doneMs - startedMs) / 1000,
          errors: members.reduce((sum, m) => sum + m.errors, 0) + producer.errors,
          latency: latency.snapshot(),
          notes: [
            `rebalance ${rebalanceMs.toFixed(0)} ms: join answered after ${joinAnsweredMs.toFixed(0)} ms; members (old ones first, the new one last; targets ${sizes} partitions) consuming from their new assignments after ${after.join(' / ')} ms`,
            ...errorNotes(members, producer),
          ],
        };
      } finally {
        abort.abort();
        await Promise.all(members.map((m) => m.stopped()));
        await producer.stop();
        await dissolve(
          api,
          group,
          members.map((m) => m.memberId),
        );
      }
    },
    close: () => api.close(),
  };
}

function errorNotes(members: readonly PollingMember[], producer: SteadyProducer): string[] {
  return [
    ...members.flatMap((m) => (m.lastError === undefined ? [] : [`poll error: ${m.lastError}`])),
    ...(producer.lastError === undefined ? [] : [`produce error: ${producer.lastError}`]),
  ];
}
