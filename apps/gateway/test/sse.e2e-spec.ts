// Server-Sent Events over real HTTP against a real node: record events with `partition:offset`
// ids, from earliest / latest / a timestamp, resuming with Last-Event-ID (the cursor the stream
// sends, or a record's id), consumer-group streams sharing partitions and leaving on close,
// errors before and after the stream starts, the fetch quota, and streams ending on shutdown.
import { EventStreamsService } from '../src/streams/event-streams.service';
import { type TestNode, startTestNode } from './harness';

interface SseEvent {
  id: string | undefined;
  event: string;
  data: any;
}

/** A text/event-stream reader that parses blocks as the WHATWG spec says, as EventSource does. */
class EventStream {
  /** Dispatched events (blocks with data), in order. */
  readonly events: SseEvent[] = [];
  lastEventId = '';
  ended: 'clean' | 'aborted' | undefined;
  private changeWaiters: (() => void)[] = [];

  constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  get records(): SseEvent[] {
    return this.events.filter((e) => e.event === 'message');
  }

  get ids(): string[] {
    return this.records.map((e) => e.id!);
  }

  named(name: string): SseEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  /** Resolves on the next event or id, or the end. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  async until(predicate: () => boolean): Promise<void> {
    await waitUntil([this], predicate);
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(): Promise<void> {
    const reader = this.response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let block: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (block.id !== undefined) this.lastEventId = block.id;
            if (block.data.length > 0) {
              this.events.push({
                id: block.id,
                event: block.event ?? 'message',
                data: JSON.parse(block.data.join('\n')),
              });
            }
            block = { data: [] };
            this.notify();
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') block.id = value;
          else if (field === 'event') block.event = value;
          else if (field === 'data') block.data.push(value);
        }
      }
      this.ended = 'clean';
    } catch {
      this.ended = 'aborted';
    } finally {
      this.notify();
    }
  }

  private notify(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Waits, event by event, until the predicate holds; fails if every stream ended first. */
async function waitUntil(streams: EventStream[], predicate: () => boolean): Promise<void> {
  while (!predicate()) {
    if (streams.every((s) => s.ended !== undefined)) {
      throw new Error('the streams ended before the condition held');
    }
    await Promise.race(streams.map((s) => s.changed()));
  }
}

describe('Server-Sent Events (postgres)', () => {
  let t: TestNode;
  let key: string;
  let topicSeq = 0;
  const open: EventStream[] = [];

  beforeAll(async () => {
    t = await startTestNode('postgres');
    key = await t.tenant('acme');
  }, 60_000);
  afterAll(() => t.cleanup());
  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close();
    await streams().whenIdle();
  });

  const streams = () => t.node.gateway.app.get(EventStreamsService);

  async function topic(partitions: number): Promise<string> {
    const name = `feed-${++topicSeq}`;
    const created = await t.api.post('/v1/topics', { token: key, body: { name, partitions } });
    expect(created.status).toBe(201);
    return name;
  }

  async function produce(name: string, records: Record<string, unknown>[], token = key) {
    const produced = await t.api.post(`/v1/topics/${name}/records`, { token, body: { records } });
    expect(produced.status).toBe(200);
    return produced.body.offsets as { partition: number; offset: number }[];
  }

  async function connect(
    name: string,
    query = '',
    headers: Record<string, string> = {},
    token = key,
  ): Promise<EventStream> {
    const abort = new AbortController();
    const response = await fetch(`${t.api.baseUrl}/v1/topics/${name}/events?${query}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const stream = new EventStream(response, abort);
    open.push(stream);
    return stream;
  }

  const describeGroup = (group: string) => t.api.get(`/v1/groups/${group}`, { token: key });

  test('records produced before and after connecting arrive as events with partition:offset ids', async () => {
    const name = await topic(3);
    await produce(name, [
      { partition: 0, key: 'k0', value: { n: 0 }, headers: { trace: 'a' } },
      { partition: 1, value: { n: 1 } },
      { partition: 2, value: null },
    ]);
    const stream = await connect(name, 'from=earliest');
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    await stream.until(() => stream.records.length === 3);
    expect(stream.ids.sort()).toEqual(['0:0', '1:0', '2:0']);
    // The data is the record exactly as a fetch returns it.
    for (const event of stream.records) {
      const { partition, offset } = event.data;
      const fetched = await t.api.get(
        `/v1/topics/${name}/partitions/${partition}/records?offset=${offset}&maxRecords=1`,
        { token: key },
      );
      expect(event.data).toEqual(fetched.body.records[0]);
    }

    await produce(
      name,
      [0, 1, 2].map((p) => ({ partition: p, value: { after: p } })),
    );
    await stream.until(() => stream.records.length === 6);
    expect(stream.ids.slice(3).sort()).toEqual(['0:1', '1:1', '2:1']);
    expect(stream.records.slice(3).map((e) => e.data.value.after)).toEqual(
      stream.records.slice(3).map((e) => e.data.partition),
    );
    // After the batch, the stream's id is the cursor of every partition.
    await stream.until(() => stream.lastEventId === '0:1,1:1,2:1');
  });

  test('from: latest by default, earliest, or the first record at or after a timestamp; formats apply', async () => {
    const name = await topic(1);
    await produce(
      name,
      [1000, 2000, 3000].map((timestamp, n) => ({ key: `k${n}`, value: { n }, timestamp })),
    );
    const latest = await connect(name);
    const earliest = await connect(name, 'from=earliest&keyFormat=binary&valueFormat=string');
    const fromTime = await connect(name, 'from=2000');
    await produce(name, [{ value: { n: 3 }, timestamp: 4000 }]);
    await waitUntil(
      [latest, earliest, fromTime],
      () =>
        latest.records.length === 1 &&
        earliest.records.length === 4 &&
        fromTime.records.length === 3,
    );
    expect(latest.ids).toEqual(['0:3']);
    expect(earliest.ids).toEqual(['0:0', '0:1', '0:2', '0:3']);
    expect(fromTime.ids).toEqual(['0:1', '0:2', '0:3']);
    expect(earliest.records[0]!.data).toMatchObject({
      key: Buffer.from('k0').toString('base64'),
      value: '{"n":0}',
      timestamp: 1000,
    });
  });

  test('Last-Event-ID resumes after it: nothing before it re-sent, nothing after it skipped', async () => {
    const name = await topic(2);
    await produce(
      name,
      [0, 0, 1, 1].map((partition) => ({ partition, value: 'before' })),
    );
    const first = await connect(name, 'from=earliest');
    await first.until(() => first.lastEventId === '0:1,1:1');
    expect(first.ids.sort()).toEqual(['0:0', '0:1', '1:0', '1:1']);
    first.close();

    // Written while the client is away: the cursor resumes both partitions exactly.
    await produce(
      name,
      [0, 1, 1].map((partition) => ({ partition, value: 'away' })),
    );
    const resumed = await connect(name, 'from=earliest', { 'Last-Event-ID': first.lastEventId });
    await resumed.until(() => resumed.records.length === 3);
    expect(resumed.ids.sort()).toEqual(['0:2', '1:2', '1:3']);
    await produce(name, [{ partition: 0, value: 'sentinel' }]);
    await resumed.until(() => resumed.records.length === 4);
    expect(resumed.ids[3]).toBe('0:3');
    resumed.close();

    // One record's id resumes its own partition after it; the others start from `from`.
    const byRecord = await connect(name, 'from=earliest', { 'Last-Event-ID': '1:2' });
    await byRecord.until(() => byRecord.records.length === 5);
    expect(byRecord.ids.sort()).toEqual(['0:0', '0:1', '0:2', '0:3', '1:3']);
    byRecord.close();

    // A client that saw no record still resumes where its first connection started.
    const quiet = await connect(name);
    await quiet.until(() => quiet.lastEventId !== '');
    expect(quiet.lastEventId).toBe('0:3,1:3');
    expect(quiet.records).toEqual([]);
    quiet.close();
    await produce(name, [{ partition: 1, value: 'missed?' }]);
    const again = await connect(name, '', { 'Last-Event-ID': quiet.lastEventId });
    await again.until(() => again.records.length === 1);
    expect(again.ids).toEqual(['1:4']);
  });

  test('with a group, two streams share the partitions, together get every record, and leave on close', async () => {
    const name = await topic(4);
    const a = await connect(name, 'group=dashboards&from=earliest');
    await a.until(() => a.named('assignment').length === 1);
    expect(a.named('assignment')[0]!.data.partitions).toEqual([0, 1, 2, 3]);
    const b = await connect(name, 'group=dashboards&from=earliest');

    await produce(
      name,
      [0, 1, 2, 3, 0, 1, 2, 3].map((partition, n) => ({ partition, value: { n } })),
    );
    const all = ['0:0', '0:1', '1:0', '1:1', '2:0', '2:1', '3:0', '3:1'];
    await waitUntil([a, b], () => new Set([...a.ids, ...b.ids]).size === all.length);
    expect([...new Set([...a.ids, ...b.ids])].sort()).toEqual(all);

    const owned = (s: EventStream): number[] => s.named('assignment').at(-1)!.data.partitions;
    const read = (s: EventStream) => new Set(s.records.map((e) => e.data.partition as number));
    expect(owned(a)).toHaveLength(2);
    expect(owned(b)).toHaveLength(2);
    expect([...owned(a), ...owned(b)].sort()).toEqual([0, 1, 2, 3]);
    expect([...read(a)].every((p) => owned(a).includes(p))).toBe(true);
    expect([...read(b)].every((p) => owned(b).includes(p))).toBe(true);
    expect(a.records.every((e) => !('topic' in e.data))).toBe(true);
    const described = await describeGroup('dashboards');
    expect(described.body.members).toHaveLength(2);

    a.close();
    b.close();
    await streams().whenIdle();
    const after = await describeGroup('dashboards');
    expect(after.body.members).toEqual([]);
    expect(after.body.state).toBe('Empty');
  });

  test('errors before the stream starts are problem+json', async () => {
    const name = await topic(1);
    await produce(name, [{ value: 1 }]);
    const cases: [string, Record<string, string>, number, string][] = [
      ['/v1/topics/no-such-topic/events', {}, 404, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [`/v1/topics/${name}/events?from=yesterday`, {}, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events?from=-5`, {}, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events?group=g&from=1000`, {}, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events?valueFormat=xml`, {}, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events`, { 'Last-Event-ID': 'latest' }, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events`, { 'Last-Event-ID': '0:1,0:2' }, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events`, { 'Last-Event-ID': '3:0' }, 400, 'INVALID_REQUEST'],
      [`/v1/topics/${name}/events`, { 'Last-Event-ID': '0:5' }, 416, 'OFFSET_OUT_OF_RANGE'],
    ];
    for (const [route, headers, status, code] of cases) {
      const reply = await t.api.get(route, { token: key, headers });
      expect({ route, headers, status: reply.status, code: reply.body?.code }).toEqual({
        route,
        headers,
        status,
        code,
      });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const anonymous = await t.api.get(`/v1/topics/${name}/events`);
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHENTICATED']);

    const writer = await t.api.post('/v1/admin/tenants/acme/keys', {
      token: t.admin,
      body: {
        name: 'writer',
        permissions: [
          { operation: 'write', resource: 'topic', pattern: '*', patternType: 'literal' },
        ],
      },
    });
    expect(writer.status).toBe(201);
    const forbidden = await t.api.get(`/v1/topics/${name}/events`, { token: writer.body.key });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  test('a key revoked while streaming ends the stream with event: error', async () => {
    const name = await topic(1);
    const created = await t.api.post('/v1/admin/tenants/acme/keys', {
      token: t.admin,
      body: { name: 'short-lived' },
    });
    const parked = t.node.partitions.waits.parkedCount;
    const stream = await connect(name, '', {}, created.body.key);
    await t.node.partitions.waits.whenParked(parked + 1);
    const revoked = await t.api.delete(`/v1/admin/tenants/acme/keys/${created.body.id}`, {
      token: t.admin,
    });
    expect(revoked.status).toBe(204);
    await produce(name, [{ value: 'wakes it' }]);
    await stream.until(() => stream.ended !== undefined);
    expect(stream.ended).toBe('clean');
    expect(stream.records).toEqual([]);
    expect(stream.named('error').map((e) => e.data.code)).toEqual(['UNAUTHENTICATED']);
  });

  test('streamed bytes count against the fetch quota', async () => {
    const slowKey = await t.tenant('slow', { fetchBytesPerSec: 1 });
    const created = await t.api.post('/v1/topics', {
      token: slowKey,
      body: { name: 'metered', partitions: 1 },
    });
    expect(created.status).toBe(201);
    await produce('metered', [{ value: { some: 'bytes' } }], slowKey);
    const stream = await connect('metered', 'from=earliest', {}, slowKey);
    await stream.until(() => stream.records.length === 1);
    const fetched = await t.api.get('/v1/topics/metered/partitions/0/records?offset=0', {
      token: slowKey,
    });
    expect([fetched.status, fetched.body.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    const another = await t.api.get('/v1/topics/metered/events', { token: slowKey });
    expect([another.status, another.body.code]).toEqual([429, 'QUOTA_EXCEEDED']);
  });

  test('a node shutting down ends its streams cleanly', async () => {
    const name = await topic(2);
    const plain = await connect(name);
    const member = await connect(name, 'group=shutdown');
    await member.until(() => member.named('assignment').length === 1);
    await t.restart();
    await waitUntil([plain, member], () => plain.ended !== undefined && member.ended !== undefined);
    expect([plain.ended, member.ended]).toEqual(['clean', 'clean']);
    open.splice(0);
  });
});
