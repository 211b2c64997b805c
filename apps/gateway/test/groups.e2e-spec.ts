// Consumer groups over REST, against Postgres and embedded PGlite, with in-process and Redis
// coordination: joining and leaving members rebalancing, polls with server-side positions,
// auto-commit, session expiry, fenced commits, static membership, group administration.
import { TEST_DATABASE_KINDS } from '@tributary/metadata';
import { type Reply, type TestNode, startTestNode } from './harness';

interface Assignment {
  topic: string;
  partitions: number[];
}

const COORDINATION = ['in-process', 'redis'] as const;
const CASES = TEST_DATABASE_KINDS.flatMap((kind) =>
  COORDINATION.map((coordination) => [kind, coordination] as const),
).filter(([kind, coordination]) => kind === 'postgres' || coordination === 'in-process');

describe.each(CASES)('consumer groups over REST (%s, %s coordination)', (kind, coordination) => {
  let t: TestNode;
  let key: string;
  let topicSeq = 0;

  beforeAll(async () => {
    t = await startTestNode(kind, {}, { coordination });
    key = await t.tenant('acme');
  }, 60_000);
  afterAll(() => t.cleanup());

  async function topic(partitions: number): Promise<string> {
    const name = `events-${++topicSeq}`;
    const created = await t.api.post('/v1/topics', { token: key, body: { name, partitions } });
    expect(created.status).toBe(201);
    return name;
  }

  async function produce(name: string, count: number, partition?: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({
      value: { n: i },
      ...(partition === undefined ? {} : { partition }),
    }));
    const produced = await t.api.post(`/v1/topics/${name}/records`, {
      token: key,
      body: { records },
    });
    expect(produced.status).toBe(200);
  }

  async function join(group: string, body: Record<string, unknown>): Promise<any> {
    const joined = await t.api.post(`/v1/groups/${group}/members`, { token: key, body });
    expect(joined.status).toBe(201);
    return joined.body;
  }

  const member = (group: string, memberId: string) => `/v1/groups/${group}/members/${memberId}`;
  const heartbeat = (group: string, memberId: string) =>
    t.api.post(`${member(group, memberId)}/heartbeat`, { token: key });
  const poll = (group: string, memberId: string, query = '') =>
    t.api.get(`${member(group, memberId)}/records?${query}`, { token: key });
  const describe = (group: string) => t.api.get(`/v1/groups/${group}`, { token: key });

  function owned(reply: Reply): string[] {
    return (reply.body.assignment as Assignment[]).flatMap((a) =>
      a.partitions.map((p) => `${a.topic}/${p}`),
    );
  }

  /** Heartbeats every member in turn until the group is stable; returns who owns what. */
  async function settle(group: string, members: string[]): Promise<Map<string, string[]>> {
    for (let round = 0; round < 5; round++) {
      const owners = new Map<string, string[]>();
      for (const id of members) {
        const beat = await heartbeat(group, id);
        expect(beat.status).toBe(200);
        owners.set(id, owned(beat));
      }
      const described = await describe(group);
      if (described.body.state === 'Stable') return owners;
    }
    throw new Error(`group ${group} did not settle`);
  }

  function expectPartitionedOnce(owners: Map<string, string[]>, all: string[]): void {
    const flat = [...owners.values()].flat();
    expect(flat.sort()).toEqual([...all].sort());
    const counts = [...owners.values()].map((list) => list.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  }

  test('1 to 4 members share the partitions as they join and leave, never one twice', async () => {
    const name = await topic(6);
    const all = [0, 1, 2, 3, 4, 5].map((p) => `${name}/${p}`);
    const members: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const joined = await join('sharing', { topics: [name] });
      members.push(joined.memberId);
      expectPartitionedOnce(await settle('sharing', members), all);
    }
    const epochs = (await describe('sharing')).body.members.map((m: any) => m.memberEpoch);
    expect(Math.min(...epochs)).toBeGreaterThan(1);
    while (members.length > 1) {
      const leaving = members.shift()!;
      expect((await t.api.delete(member('sharing', leaving), { token: key })).status).toBe(204);
      expect((await heartbeat('sharing', leaving)).body.code).toBe('UNKNOWN_MEMBER');
      expectPartitionedOnce(await settle('sharing', members), all);
    }
  });

  test('a partition moves only after its owner gave it up', async () => {
    const name = await topic(2);
    const a = await join('handover', { topics: [name] });
    expect(a.assignment).toEqual([{ topic: name, partitions: [0, 1] }]);
    const b = await join('handover', { topics: [name] });
    // a has not called since b joined: b owns nothing yet.
    expect(b.assignment).toEqual([]);
    expect((await describe('handover')).body.state).toBe('Reconciling');
    const aBeat = await heartbeat('handover', a.memberId);
    expect(owned(aBeat)).toHaveLength(1);
    expect(aBeat.body.memberEpoch).toBeGreaterThan(a.memberEpoch);
    const bBeat = await heartbeat('handover', b.memberId);
    expect(owned(bBeat)).toHaveLength(1);
    expect(owned(bBeat)).not.toEqual(owned(aBeat));
  });

  test('polls deliver every record once, positions kept on the server, auto-committed', async () => {
    const name = await topic(3);
    await produce(name, 30);
    const m = await join('pollers', { topics: [name], autoOffsetReset: 'earliest' });
    const seen: string[] = [];
    for (let i = 0; i < 10 && seen.length < 30; i++) {
      const polled = await poll('pollers', m.memberId, 'maxRecords=7');
      expect(polled.status).toBe(200);
      expect(polled.body.records.length).toBeLessThanOrEqual(7);
      for (const r of polled.body.records) {
        expect(r.topic).toBe(name);
        seen.push(`${r.partition}:${r.offset}`);
      }
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    // The next poll commits what the previous one returned.
    expect((await poll('pollers', m.memberId)).body.records).toEqual([]);
    const described = await describe('pollers');
    const committed = described.body.offsets.map((o: any) => o.committedOffset);
    const total = committed.reduce((sum: number, o: number) => sum + o, 0);
    expect(total).toBe(30);
    expect(described.body.offsets.every((o: any) => o.lag === 0)).toBe(true);
  });

  test('a long poll answers as soon as a record arrives', async () => {
    const name = await topic(2);
    const m = await join('waiters', { topics: [name] });
    const pending = poll('waiters', m.memberId, 'maxWaitMs=20000');
    await t.node.partitions.waits.whenParked(1);
    await produce(name, 1, 1);
    const polled = await pending;
    expect(polled.body.records).toEqual([
      expect.objectContaining({ topic: name, partition: 1, value: { n: 0 } }),
    ]);
  });

  test('a member that stops calling loses its partitions at its session timeout; the next owner resumes from the last commit', async () => {
    const name = await topic(1);
    await produce(name, 10);
    const a = await join('expiry', {
      topics: [name],
      sessionTimeoutMs: 1000,
      autoCommit: false,
      autoOffsetReset: 'earliest',
    });
    const first = await poll('expiry', a.memberId, 'maxRecords=6');
    expect(first.body.records.map((r: any) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    const committed = await t.api.post(`${member('expiry', a.memberId)}/commit`, {
      token: key,
      body: { offsets: [{ topic: name, partition: 0, offset: 4 }] },
    });
    expect(committed.status).toBe(200);
    // a stops calling. b's long poll wakes when a's session runs out and takes the partition.
    const b = await join('expiry', { topics: [name], autoOffsetReset: 'latest' });
    expect(b.assignment).toEqual([]);
    // The poll answers as soon as the assignment changes; the next one reads.
    const reassigned = await poll('expiry', b.memberId, 'maxWaitMs=15000');
    expect(reassigned.body.assignment).toEqual([{ topic: name, partitions: [0] }]);
    const polled = await poll('expiry', b.memberId);
    expect(polled.body.records.map((r: any) => r.offset)).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await heartbeat('expiry', a.memberId)).body.code).toBe('UNKNOWN_MEMBER');
  });

  test('commits are fenced: a partition the member gave up, or a stale epoch, is refused', async () => {
    const name = await topic(2);
    const a = await join('fenced', { topics: [name] });
    const b = await join('fenced', { topics: [name] });
    const owners = await settle('fenced', [a.memberId, b.memberId]);
    const lost = owners.get(b.memberId)![0]!.split('/');
    const commitByA = await t.api.post(`${member('fenced', a.memberId)}/commit`, {
      token: key,
      body: { offsets: [{ topic: lost[0], partition: Number(lost[1]), offset: 0 }] },
    });
    expect(commitByA.status).toBe(409);
    expect(commitByA.body.code).toBe('STALE_MEMBER_EPOCH');
    const staleEpoch = await t.api.post(`${member('fenced', a.memberId)}/commit`, {
      token: key,
      body: { memberEpoch: a.memberEpoch },
    });
    expect(staleEpoch.body.code).toBe('STALE_MEMBER_EPOCH');
    const current = await heartbeat('fenced', a.memberId);
    const fresh = await t.api.post(`${member('fenced', a.memberId)}/commit`, {
      token: key,
      body: { memberEpoch: current.body.memberEpoch },
    });
    expect(fresh.status).toBe(200);
  });

  test('a static member that comes back within its session timeout keeps its partitions', async () => {
    const name = await topic(4);
    const a = await join('static', { topics: [name], instanceId: 'host-a' });
    const b = await join('static', { topics: [name], instanceId: 'host-b' });
    const owners = await settle('static', [a.memberId, b.memberId]);
    // host-a restarts without leaving and joins again.
    const again = await join('static', { topics: [name], instanceId: 'host-a' });
    expect(owned({ body: again } as Reply).sort()).toEqual(owners.get(a.memberId)!.sort());
    expect((await heartbeat('static', a.memberId)).body.code).toBe('UNKNOWN_MEMBER');
    const bBeat = await heartbeat('static', b.memberId);
    expect(owned(bBeat).sort()).toEqual(owners.get(b.memberId)!.sort());
  });

  test('a topic pattern picks up new matching topics, and added partitions join the assignment', async () => {
    await t.api.post('/v1/topics', { token: key, body: { name: 'metrics.cpu', partitions: 1 } });
    const m = await join('patterned', { topicPattern: 'metrics\\..*' });
    expect(m.assignment).toEqual([{ topic: 'metrics.cpu', partitions: [0] }]);
    await t.api.post('/v1/topics', { token: key, body: { name: 'metrics.mem', partitions: 1 } });
    await t.api.post('/v1/topics', { token: key, body: { name: 'other', partitions: 1 } });
    await t.api.patch('/v1/topics/metrics.cpu', { token: key, body: { partitions: 3 } });
    const beat = await heartbeat('patterned', m.memberId);
    expect(beat.body.assignment).toEqual([
      { topic: 'metrics.cpu', partitions: [0, 1, 2] },
      { topic: 'metrics.mem', partitions: [0] },
    ]);
  });

  test('seek moves a position; out of range and foreign partitions are refused', async () => {
    const name = await topic(1);
    await produce(name, 5);
    const m = await join('seekers', { topics: [name], autoOffsetReset: 'latest' });
    expect((await poll('seekers', m.memberId)).body.records).toEqual([]);
    const seek = (body: unknown) =>
      t.api.post(`${member('seekers', m.memberId)}/seek`, { token: key, body });
    expect((await seek({ topic: name, partition: 0, offset: 3 })).body.offset).toBe(3);
    expect((await poll('seekers', m.memberId)).body.records.map((r: any) => r.offset)).toEqual([
      3, 4,
    ]);
    expect((await seek({ topic: name, partition: 0, at: 'earliest' })).body.offset).toBe(0);
    expect((await seek({ topic: name, partition: 0, offset: 99 })).body.code).toBe(
      'OFFSET_OUT_OF_RANGE',
    );
    const other = await topic(1);
    expect((await seek({ topic: other, partition: 0, offset: 0 })).body.code).toBe(
      'STALE_MEMBER_EPOCH',
    );
  });

  test('group admin: list, describe with lag, reset and delete only when empty', async () => {
    const name = await topic(2);
    await produce(name, 4, 0);
    await produce(name, 4, 1);
    const m = await join('admin-g', { topics: [name], autoOffsetReset: 'earliest' });
    await poll('admin-g', m.memberId);
    await poll('admin-g', m.memberId);
    const listed = await t.api.get('/v1/groups', { token: key });
    expect(listed.body.groups).toContainEqual({ group: 'admin-g', state: 'Stable' });
    const described = await describe('admin-g');
    expect(described.body.members).toEqual([
      expect.objectContaining({
        memberId: m.memberId,
        assignment: [{ topic: name, partitions: [0, 1] }],
        subscription: { topics: [name] },
      }),
    ]);
    const reset = (to: unknown) =>
      t.api.post('/v1/groups/admin-g/offsets', { token: key, body: { topic: name, to } });
    expect((await reset('earliest')).body.code).toBe('GROUP_NOT_EMPTY');
    expect((await t.api.delete('/v1/groups/admin-g', { token: key })).body.code).toBe(
      'GROUP_NOT_EMPTY',
    );
    expect((await t.api.delete(member('admin-g', m.memberId), { token: key })).status).toBe(204);
    expect((await describe('admin-g')).body.state).toBe('Empty');
    const toEarliest = await reset('earliest');
    expect(toEarliest.status).toBe(200);
    expect(toEarliest.body.offsets.map((o: any) => o.offset)).toEqual([0, 0]);
    const lagged = await describe('admin-g');
    expect(lagged.body.offsets.reduce((s: number, o: any) => s + o.lag, 0)).toBe(8);
    expect((await reset({ offset: 1 })).body.offsets.map((o: any) => o.offset)).toEqual([1, 1]);
    expect((await t.api.delete('/v1/groups/admin-g', { token: key })).status).toBe(204);
    expect((await describe('admin-g')).body.code).toBe('UNKNOWN_GROUP');
    expect((await t.api.delete('/v1/groups/admin-g', { token: key })).body.code).toBe(
      'UNKNOWN_GROUP',
    );
  });

  test('committed offsets survive a restart; a new member resumes from them', async () => {
    const name = await topic(1);
    await produce(name, 6);
    const m = await join('durable', { topics: [name], autoOffsetReset: 'earliest' });
    await poll('durable', m.memberId, 'maxRecords=4');
    await t.api.post(`${member('durable', m.memberId)}/commit`, { token: key });
    await t.api.delete(member('durable', m.memberId), { token: key });
    await t.restart();
    const again = await join('durable', { topics: [name], autoOffsetReset: 'earliest' });
    const polled = await poll('durable', again.memberId);
    expect(polled.body.records.map((r: any) => r.offset)).toEqual([4, 5]);
  });

  if (coordination === 'redis') {
    test('member state lives in Redis: across a restart the member keeps its id, assignment and positions', async () => {
      const name = await topic(2);
      await produce(name, 3, 0);
      await produce(name, 3, 1);
      const m = await join('restarted', {
        topics: [name],
        autoOffsetReset: 'earliest',
        autoCommit: false,
      });
      const before = await poll('restarted', m.memberId, 'maxRecords=4');
      expect(before.body.records).toHaveLength(4);
      await t.restart();
      const after = await poll('restarted', m.memberId);
      expect(after.status).toBe(200);
      expect(after.body.memberEpoch).toBe(before.body.memberEpoch);
      expect(after.body.assignment).toEqual(before.body.assignment);
      const seen = [...before.body.records, ...after.body.records].map(
        (r: any) => `${r.partition}:${r.offset}`,
      );
      expect(seen.sort()).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2']);
    });
  }

  test('bad member calls get clear errors', async () => {
    const name = await topic(1);
    const bad = async (body: unknown, code: string) => {
      const reply = await t.api.post('/v1/groups/g-bad/members', { token: key, body });
      expect([reply.status, reply.body.code]).toEqual([400, code]);
    };
    await bad({}, 'INVALID_REQUEST');
    await bad({ topics: [name], topicPattern: '.*' }, 'INVALID_REQUEST');
    await bad({ topicPattern: '(a+)+' }, 'INVALID_REQUEST');
    await bad({ topicPattern: '(' }, 'INVALID_REQUEST');
    await bad({ topics: [name], sessionTimeoutMs: 10 }, 'INVALID_REQUEST');
    await bad({ topics: [name], autoOffsetReset: 'middle' }, 'INVALID_REQUEST');
    await bad({ topics: [name], assignor: 'random' }, 'INVALID_REQUEST');
    await bad({ topics: [name], extra: 1 }, 'INVALID_REQUEST');
    const missing = await t.api.post('/v1/groups/g-bad/members', {
      token: key,
      body: { topics: ['nope'] },
    });
    expect(missing.body.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await heartbeat('g-bad', 'no-such-member')).body.code).toBe('UNKNOWN_MEMBER');
    expect((await poll('g-bad', 'no-such-member', 'maxRecords=0')).body.code).toBe(
      'INVALID_FETCH_SIZE',
    );
  });
});
