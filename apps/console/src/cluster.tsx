// The cluster: its nodes (alive or dead, serving, shutting down or draining), the controller,
// how many of the tenant's partitions each node leads and holds, and which node leads each
// partition of the tenant's topics.
import type {
  Cluster,
  ClusterNode,
  PartitionInfo,
  Topic,
  TributaryClient,
} from '@tributary/client';
import { type Column, DataTable } from './data-table';
import { href } from './route';
import { LEADERSHIP_COLUMNS } from './topic-detail';
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
  const columns: Column<ClusterNode>[] = [
    {
      label: 'Node',
      numeric: true,
      cell: (n) => `${n.id}${n.id === cluster.controller ? ' (controller)' : ''}`,
    },
    { label: 'Address', cell: (n) => `${n.host}:${n.port}` },
    { label: 'RPC port', numeric: true, cell: (n) => n.rpcPort },
    {
      label: 'Status',
      cell: (n) => <span class={n.status === 'alive' ? 'ok' : 'bad'}>{n.status}</span>,
    },
    { label: 'State', cell: (n) => n.state ?? '' },
    { label: 'Leads', numeric: true, cell: (n) => n.leaders },
    { label: 'Replicas', numeric: true, cell: (n) => n.replicas },
  ];
  return (
    <DataTable
      caption="Nodes"
      columns={columns}
      rows={cluster.nodes}
      rowKey={(n) => n.id}
      rowHeader
    />
  );
}

/** A partition with the topic it belongs to. */
type TopicPartition = PartitionInfo & { topic: string };

const LEADER_COLUMNS: Column<TopicPartition>[] = [
  { label: 'Topic', cell: (p) => <a href={href({ view: 'topic', topic: p.topic })}>{p.topic}</a> },
  ...LEADERSHIP_COLUMNS,
];

function LeaderTable({ topics }: { topics: Topic[] }) {
  if (topics.length === 0) return <p>No topics, so no partition leaders.</p>;
  return (
    <DataTable
      caption="Partition leaders"
      columns={LEADER_COLUMNS}
      rows={topics.flatMap((t) => t.partitions.map((p) => ({ ...p, topic: t.name })))}
      rowKey={(p) => `${p.topic}:${p.partition}`}
    />
  );
}
