// The routing client's produce through a leadership move: a write refused for want of its
// leader (nothing written) is sent on to the leader as the directory then knows it, within the
// request's timeout; any other refusal is the answer.
import { BrokerError } from '@tributary/common';
import { type BrokerClient, type Outcome, type ProduceResult } from './broker-client';
import { RoutingBrokerClient } from './routing-broker-client';
import { type TopicPartition } from './topic-partition';

const tp: TopicPartition = { tenantId: 't', topicId: 'topic', partition: 0 };

/** A node that answers every produce with `answer` and counts the calls. */
function node(answer: () => Outcome<ProduceResult>) {
  const calls: number[] = [];
  const broker = {
    produce: (requests: readonly unknown[]) => {
      calls.push(requests.length);
      return Promise.resolve(requests.map(() => answer()));
    },
  } as unknown as BrokerClient;
  return { broker, calls };
}

const refused = (code: 'NOT_LEADER_OR_FOLLOWER' | 'NOT_ENOUGH_REPLICAS') =>
  ({ ok: false, error: new BrokerError(code, 'refused') }) as const;
const written = { ok: true, value: { baseOffset: 7, lastOffset: 7 } } as const;

function routing(
  leader: () => number,
  nodes: Record<number, BrokerClient>,
  handedOver: number[] = [],
) {
  return new RoutingBrokerClient({
    leaderOf: () => leader(),
    brokerFor: (id) => nodes[id]!,
    handedOver: (id) => handedOver.includes(id),
  });
}

/** A node whose calls fail on the connection. */
function unreachable(onCall: () => void) {
  return {
    produce: () => {
      onCall();
      return Promise.reject(new BrokerError('NETWORK_EXCEPTION', 'the client is closed'));
    },
  } as unknown as BrokerClient;
}

const request = (timeoutMs = 5_000) => ({
  ...tp,
  batch: Buffer.alloc(0),
  acks: -1 as const,
  timeoutMs,
});

describe('RoutingBrokerClient produce', () => {
  it('sends a write its old leader refused as not led there on to the new leader', async () => {
    let leader = 1;
    const one = node(() => {
      leader = 2; // the move reaches this node's directory meanwhile
      return refused('NOT_LEADER_OR_FOLLOWER');
    });
    const two = node(() => written);
    const client = routing(() => leader, { 1: one.broker, 2: two.broker });
    expect(await client.produce([request()])).toEqual([written]);
    expect([one.calls, two.calls]).toEqual([[1], [1]]);
  });

  it('answers any other refusal as it is, and gives up on a move once the timeout is spent', async () => {
    const full = node(() => refused('NOT_ENOUGH_REPLICAS'));
    const once = routing(() => 1, { 1: full.broker });
    expect(await once.produce([request()])).toEqual([refused('NOT_ENOUGH_REPLICAS')]);
    expect(full.calls).toEqual([1]);

    // A leader that never arrives: a few tries within 100 ms, then the refusal is the answer.
    const stuck = node(() => refused('NOT_LEADER_OR_FOLLOWER'));
    const [outcome] = await routing(() => 1, { 1: stuck.broker }).produce([request(100)]);
    expect(outcome).toEqual(refused('NOT_LEADER_OR_FOLLOWER'));
    expect(stuck.calls.length).toBeGreaterThan(1);
  });

  it('sends a write on when the connection failed to a node gone in a controlled shutdown, and only then', async () => {
    let leader = 1;
    const two = node(() => written);
    const gone = unreachable(() => (leader = 2));
    expect(
      await routing(() => leader, { 1: gone, 2: two.broker }, [1]).produce([request()]),
    ).toEqual([written]);
    // A node that crashed may have written it: the failure is the answer.
    leader = 1;
    const [crashed] = await routing(() => leader, { 1: gone, 2: two.broker }).produce([request()]);
    expect(crashed).toMatchObject({ ok: false, error: { code: 'NETWORK_EXCEPTION' } });
    expect(two.calls).toEqual([1]);
  });
});
