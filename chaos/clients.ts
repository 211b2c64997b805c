// The clients of a chaos run. Each works on through every fault, calling nodes at random and
// recording what it was told in the history: acks=all producers of unique values under an
// Idempotency-Key, readers by offset, consumer group members over REST and over the WebSocket,
// and a watcher sampling committed offsets and partition leaders. Every call is bounded; every
// loop ends when the run stops (or the history is full).
import { WebSocket } from 'ws';
import { type Attempt, type History, type LeadersOp, type Positioned } from './history';
import { call, valueText } from './http';
import { type ChaosNodes } from './nodes';

export const CLIENT_LIMITS = {
  produceTimeoutMs: 10_000,
  /** A produce not acknowledged after this long (or this many attempts) is indeterminate. */
  produceGiveUpMs: 30_000,
  produceAttemptsMax: 200,
  readTimeoutMs: 5_000,
  readRecordsMax: 100,
  pollRecordsMax: 200,
  groupSessionMs: 10_000,
  commitEveryMs: 2_000,
  sampleEveryMs: 500,
  /** A WebSocket silent this long (while records are being produced) is reconnected. */
  wsSilenceMs: 8_000,
  /** Share of produces sent to partition 0, the hot partition. */
  hotShare: 0.3,
} as const;

export interface ClientContext {
  history: History;
  nodes: ChaosNodes;
  key: string;
  topic: string;
  partitions: number;
  random: () => number;
  /** True once the run stops: clients start nothing new. */
  stopping: () => boolean;
  /** Settles when the run stops. */
  stopped: Promise<void>;
  /** The latest leaders sample, for the faults that aim at a leader. */
  leaders: LeadersOp | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function pickNode(ctx: ClientContext): number {
  const ids = ctx.nodes.ids();
  return ids[Math.floor(ctx.random() * ids.length)]!;
}

const active = (ctx: ClientContext) => !ctx.stopping() && !ctx.history.full;

/** Backoff after a failed call: 100-400 ms, or until the run stops. */
function backoff(ctx: ClientContext): Promise<unknown> {
  return Promise.race([sleep(100 + ctx.random() * 300), ctx.stopped]);
}

export async function runProducer(ctx: ClientContext, index: number): Promise<void> {
  for (let n = 0; active(ctx); n++) {
    const partition =
      ctx.random() < CLIENT_LIMITS.hotShare ? 0 : Math.floor(ctx.random() * ctx.partitions);
    await produceOne(ctx, `producer-${index}`, `p${index}-${n}`, partition);
  }
}

/** One value, retried under its Idempotency-Key through random nodes until acknowledged. */
async function produceOne(
  ctx: ClientContext,
  client: string,
  value: string,
  partition: number,
): Promise<void> {
  const { history } = ctx;
  const attempts: Attempt[] = [];
  const startMs = history.now();
  let offset: number | undefined;
  for (
    let i = 0;
    i < CLIENT_LIMITS.produceAttemptsMax && history.now() - startMs < CLIENT_LIMITS.produceGiveUpMs;
    i++
  ) {
    const node = pickNode(ctx);
    const attemptStart = history.now();
    const reply = await call(
      ctx.nodes.url(node),
      'POST',
      `/v1/topics/${ctx.topic}/records?acks=all`,
      ctx.key,
      {
        body: { records: [{ value, partition }] },
        headers: { 'idempotency-key': value },
        timeoutMs: CLIENT_LIMITS.produceTimeoutMs,
      },
    );
    attempts.push({
      node,
      startMs: attemptStart,
      endMs: history.now(),
      status: reply.status,
      ...(reply.code === undefined ? {} : { code: reply.code }),
    });
    if (reply.status === 200) {
      offset = Number(reply.body.offsets[0].offset);
      break;
    }
    await sleep(50 + ctx.random() * 200);
  }
  // Nothing was written only if every attempt was refused as invalid.
  const refused = attempts.length > 0 && attempts.every((a) => a.status === 400);
  history.add({
    kind: 'produce',
    client,
    node: attempts[attempts.length - 1]?.node ?? 0,
    startMs,
    endMs: history.now(),
    topic: ctx.topic,
    partition,
    value,
    idempotencyKey: value,
    outcome: offset !== undefined ? 'ok' : refused ? 'failed' : 'indeterminate',
    ...(offset === undefined ? {} : { offset }),
    attempts,
  });
}

function positioned(topic: string, records: any[]): Positioned[] {
  return records.map((r) => ({
    topic: typeof r.topic === 'string' ? r.topic : topic,
    partition: Number(r.partition),
    offset: Number(r.offset),
    value: valueText(r.value),
  }));
}

/** Reads partitions by offset through random nodes: mostly onwards, sometimes back. */
export async function runReader(ctx: ClientContext, index: number): Promise<void> {
  const cursors = new Array<number>(ctx.partitions).fill(0);
  while (active(ctx)) {
    const partition = Math.floor(ctx.random() * ctx.partitions);
    const cursor = cursors[partition]!;
    const from = ctx.random() < 0.2 && cursor > 0 ? Math.floor(ctx.random() * cursor) : cursor;
    const node = pickNode(ctx);
    const startMs = ctx.history.now();
    const reply = await call(
      ctx.nodes.url(node),
      'GET',
      `/v1/topics/${ctx.topic}/partitions/${partition}/records?offset=${from}&maxRecords=${CLIENT_LIMITS.readRecordsMax}&maxWaitMs=200`,
      ctx.key,
      { timeoutMs: CLIENT_LIMITS.readTimeoutMs },
    );
    const records = reply.status === 200 ? positioned(ctx.topic, reply.body.records) : [];
    ctx.history.add({
      kind: 'read',
      client: `reader-${index}`,
      node,
      startMs,
      endMs: ctx.history.now(),
      topic: ctx.topic,
      partition,
      fromOffset: from,
      status: reply.status,
      ...(reply.code === undefined ? {} : { code: reply.code }),
      records,
    });
    if (reply.status === 200 && from === cursor) cursors[partition] = Number(reply.body.nextOffset);
    if (reply.status !== 200) await backoff(ctx);
  }
}

/** A group member over REST: join, poll (which commits the previous poll), commit, heartbeat. */
export async function runRestConsumer(
  ctx: ClientContext,
  group: string,
  index: number,
): Promise<void> {
  const client = `rest-consumer-${index}`;
  let memberId: string | undefined;
  let lastCommitMs = 0;
  const route = () => `/v1/groups/${encodeURIComponent(group)}/members/${memberId}`;
  while (active(ctx)) {
    const node = pickNode(ctx);
    const url = ctx.nodes.url(node);
    if (memberId === undefined) {
      const joined = await call(
        url,
        'POST',
        `/v1/groups/${encodeURIComponent(group)}/members`,
        ctx.key,
        {
          body: {
            topics: [ctx.topic],
            autoOffsetReset: 'earliest',
            autoCommit: true,
            sessionTimeoutMs: CLIENT_LIMITS.groupSessionMs,
          },
          timeoutMs: CLIENT_LIMITS.readTimeoutMs,
        },
      );
      if (joined.status === 201) memberId = String(joined.body.memberId);
      else await backoff(ctx);
      continue;
    }
    const startMs = ctx.history.now();
    const polled = await call(
      url,
      'GET',
      `${route()}/records?maxWaitMs=500&maxRecords=${CLIENT_LIMITS.pollRecordsMax}`,
      ctx.key,
      { timeoutMs: CLIENT_LIMITS.readTimeoutMs },
    );
    if (polled.status === 200) {
      ctx.history.add({
        kind: 'consume',
        client,
        node,
        startMs,
        endMs: ctx.history.now(),
        group,
        memberId,
        generation: String(polled.body.memberEpoch),
        records: positioned(ctx.topic, polled.body.records),
      });
    } else if (polled.code === 'UNKNOWN_MEMBER' || polled.code === 'STALE_MEMBER_EPOCH') {
      memberId = undefined;
      continue;
    } else {
      await backoff(ctx);
      continue;
    }
    if (ctx.history.now() - lastCommitMs >= CLIENT_LIMITS.commitEveryMs) {
      lastCommitMs = ctx.history.now();
      const committed = await call(url, 'POST', `${route()}/commit`, ctx.key, {
        body: {},
        timeoutMs: CLIENT_LIMITS.readTimeoutMs,
      });
      if (committed.code === 'UNKNOWN_MEMBER' || committed.code === 'STALE_MEMBER_EPOCH') {
        memberId = undefined;
      }
    }
  }
  if (memberId !== undefined) {
    await call(ctx.nodes.url(pickNode(ctx)), 'DELETE', route(), ctx.key, { timeoutMs: 2_000 });
  }
}

/** A group member over the WebSocket, reconnecting (through another node) whenever it drops. */
export async function runWsConsumer(ctx: ClientContext, group: string): Promise<void> {
  for (let connection = 1; active(ctx); connection++) {
    const node = pickNode(ctx);
    await wsSession(ctx, group, node, connection);
    if (active(ctx)) await backoff(ctx);
  }
}

function wsSession(
  ctx: ClientContext,
  group: string,
  node: number,
  connection: number,
): Promise<void> {
  const url = `${ctx.nodes.url(node).replace('http:', 'ws:')}/v1/ws`;
  const socket = new WebSocket(url, {
    headers: { authorization: `Bearer ${ctx.key}` },
    handshakeTimeout: CLIENT_LIMITS.readTimeoutMs,
  });
  let subscription: string | undefined;
  let assignments = 0;
  let lastFrameMs = ctx.history.now();
  return new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!active(ctx) || ctx.history.now() - lastFrameMs > CLIENT_LIMITS.wsSilenceMs) {
        socket.terminate();
      } else if (subscription !== undefined && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ op: 'commit', id: 'c', subscription }));
      }
    }, CLIENT_LIMITS.commitEveryMs);
    const finish = () => {
      clearInterval(timer);
      resolve();
    };
    socket.on('error', () => socket.terminate());
    socket.on('close', finish);
    socket.on('open', () => {
      socket.send(
        JSON.stringify({ op: 'subscribe', id: 's', topic: ctx.topic, group, from: 'earliest' }),
      );
    });
    socket.on('message', (data: Buffer) => {
      lastFrameMs = ctx.history.now();
      const frame = JSON.parse(data.toString('utf8'));
      if (frame.op === 'subscribed') subscription = String(frame.subscription);
      else if (frame.op === 'assigned' || frame.op === 'revoked') assignments++;
      else if (frame.op === 'error' && (frame.id === 's' || subscription === undefined)) {
        socket.terminate();
      } else if (frame.op === 'records' && !ctx.history.full) {
        ctx.history.add({
          kind: 'consume',
          client: 'ws-consumer',
          node,
          startMs: lastFrameMs,
          endMs: lastFrameMs,
          group,
          memberId: `ws-${connection}-${subscription ?? '?'}`,
          generation: `${connection}/${assignments}`,
          records: positioned(ctx.topic, frame.records),
        });
      }
    });
  });
}

/** Samples the groups' committed offsets and the topic's leaders for the checker and timeline. */
export async function runWatcher(ctx: ClientContext, groups: string[]): Promise<void> {
  while (active(ctx)) {
    const startMs = ctx.history.now();
    for (const group of groups) await sampleCommitted(ctx, group);
    await sampleLeaders(ctx);
    const spent = ctx.history.now() - startMs;
    await Promise.race([sleep(Math.max(0, CLIENT_LIMITS.sampleEveryMs - spent)), ctx.stopped]);
  }
}

export async function sampleCommitted(ctx: ClientContext, group: string): Promise<void> {
  const node = pickNode(ctx);
  const startMs = ctx.history.now();
  const reply = await call(ctx.nodes.url(node), 'GET', `/v1/groups/${group}`, ctx.key, {
    timeoutMs: 2_000,
  });
  if (reply.status !== 200 || ctx.history.full) return;
  ctx.history.add({
    kind: 'committed',
    client: 'watcher',
    node,
    startMs,
    endMs: ctx.history.now(),
    group,
    offsets: (reply.body.offsets ?? []).map((o: any) => ({
      topic: String(o.topic),
      partition: Number(o.partition),
      committedOffset: o.committedOffset === null ? null : Number(o.committedOffset),
    })),
  });
}

export async function sampleLeaders(ctx: ClientContext): Promise<LeadersOp | undefined> {
  const node = pickNode(ctx);
  const startMs = ctx.history.now();
  const reply = await call(ctx.nodes.url(node), 'GET', `/v1/topics/${ctx.topic}`, ctx.key, {
    timeoutMs: 2_000,
  });
  if (reply.status !== 200 || ctx.history.full) return undefined;
  const op = ctx.history.add({
    kind: 'leaders',
    client: 'watcher',
    node,
    startMs,
    endMs: ctx.history.now(),
    topic: ctx.topic,
    partitions: (reply.body.partitions as any[]).map((p) => ({
      partition: Number(p.partition),
      leader: typeof p.leader === 'number' ? p.leader : -1,
      leaderEpoch: Number(p.leaderEpoch ?? -1),
      isr: Array.isArray(p.isr) ? p.isr.map(Number) : [],
    })),
  }) as LeadersOp;
  ctx.leaders = op;
  return op;
}
