// The cluster: its nodes (alive or dead, serving, shutting down or draining), the controller,
// how many of the tenant's partitions each node leads and holds, and which node leads each
// partition of the tenant's topics.
import type { Cluster, Topic, TributaryClient } from '@tributary/client';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Loading } from './ui';

const REFRESH_MS = 5_000;
/** Topics whose partition leaders are listed; past this, the nodes' counts still tell. */
const DESCRIBED_MAX = 50;

interface ClusterPicture {
  cluster: Cluster;
  topics: Topic[];
}

async function loadCluster(client: TributaryClient): Promise<ClusterPicture> {
  const [cluster, summaries] = await Promise.all([client.describeCluster(), client.listTopics()]);
  const topics = await Promise.all(
    summaries
      .slice(0, DESCRIBED_MAX)
      .map((t) => client.describeTopic(t.name).catch(() => undefined)),
  );
  return { cluster, topics: topics.filter((t): t is Topic => t !== undefined) };
}

export function ClusterView({ client }: { client: TributaryClient }) {
  const picture = usePoll(() => loadCluster(client), REFRESH_MS, [client]);
  const data = picture.data;
  return (
    <>
      <h1>Cluster</h1>
      <ErrorNote error={picture.error} />
      {data === undefined ? (
        <Loading what="the cluster" />
      ) : (
        <>
          <p>
            Cluster <code>{data.cluster.clusterId}</code>, controller{' '}
            {data.cluster.controller === null
              ? 'none right now'
              : `node ${data.cluster.controller}`}
            .
          </p>
          <NodeTable cluster={data.cluster} />
          <LeaderTable topics={data.topics} />
        </>
      )}
    </>
  );
}

function NodeTable({ cluster }: { cluster: Cluster }) {
  return (
    <table>
      <caption>Nodes</caption>
      <thead>
        <tr>
          <th scope="col" class="num">
            Node
          </th>
          <th scope="col">Address</th>
          <th scope="col" class="num">
            RPC port
          </th>
          <th scope="col">Status</th>
          <th scope="col">State</th>
          <th scope="col" class="num">
            Leads
          </th>
          <th scope="col" class="num">
            Replicas
          </th>
        </tr>
      </thead>
      <tbody>
        {cluster.nodes.map((n) => (
          <tr key={n.id}>
            <th scope="row" class="num">
              {n.id}
              {n.id === cluster.controller ? ' (controller)' : ''}
            </th>
            <td>
              {n.host}:{n.port}
            </td>
            <td class="num">{n.rpcPort}</td>
            <td class={n.status === 'alive' ? 'ok' : 'bad'}>{n.status}</td>
            <td>{n.state ?? ''}</td>
            <td class="num">{n.leaders}</td>
            <td class="num">{n.replicas}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LeaderTable({ topics }: { topics: Topic[] }) {
  if (topics.length === 0) return <p>No topics, so no partition leaders.</p>;
  return (
    <table>
      <caption>Partition leaders</caption>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col" class="num">
            Partition
          </th>
          <th scope="col" class="num">
            Leader
          </th>
          <th scope="col" class="num">
            Epoch
          </th>
          <th scope="col">Replicas</th>
          <th scope="col">In sync</th>
        </tr>
      </thead>
      <tbody>
        {topics.flatMap((t) =>
          t.partitions.map((p) => (
            <tr key={`${t.name}:${p.partition}`}>
              <td>
                <a href={href({ view: 'topic', topic: t.name })}>{t.name}</a>
              </td>
              <td class="num">{p.partition}</td>
              <td class="num">{p.leader >= 0 ? p.leader : 'none'}</td>
              <td class="num">{p.leaderEpoch}</td>
              <td>{p.replicas.join(', ')}</td>
              <td>{p.isr.join(', ')}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
