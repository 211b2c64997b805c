// One topic: each partition's leader, replicas, in-sync replicas and offsets (refreshed while
// shown), its settings, and a form to add partitions and change settings.
import { useState } from 'preact/hooks';
import type { PartitionInfo, Topic, TributaryClient } from '@tributary/client';
import { type Column, DataTable } from './data-table';
import { formatCount } from './format';
import { Field } from './form-fields';
import { href } from './route';
import { retainedRecords } from './topics';
import { usePoll } from './use-poll';
import { ErrorNote, Loading, Status } from './ui';

const REFRESH_MS = 5_000;

export function TopicDetail({ client, topic }: { client: TributaryClient; topic: string }) {
  const described = usePoll(() => client.describeTopic(topic), REFRESH_MS, [client, topic]);
  const data = described.data;
  return (
    <>
      <h1>
        Topic <span class="name">{topic}</span>
      </h1>
      <p class="actions">
        <a href={href({ view: 'topics' })}>All topics</a>
        <a href={href({ view: 'tail', topic })}>Live tail</a>
        <a href={href({ view: 'produce', topic })}>Produce</a>
      </p>
      <ErrorNote error={described.error} />
      {data === undefined ? (
        <Loading what="the topic" />
      ) : (
        <>
          <p>
            {data.partitions.length} partitions, replication factor {data.replicationFactor},{' '}
            {formatCount(retainedRecords(data))} records retained.
          </p>
          <PartitionTable topic={data} />
          <AlterTopicForm
            key={data.name}
            client={client}
            topic={data}
            onAltered={described.reload}
          />
        </>
      )}
    </>
  );
}

/** A partition's leadership, as the topic's page and the cluster's page show it. */
export const LEADERSHIP_COLUMNS: Column<PartitionInfo>[] = [
  { label: 'Partition', numeric: true, cell: (p) => p.partition },
  { label: 'Leader', numeric: true, cell: (p) => (p.leader >= 0 ? p.leader : 'none') },
  { label: 'Epoch', numeric: true, cell: (p) => p.leaderEpoch },
  { label: 'Replicas', cell: (p) => p.replicas.join(', ') },
  { label: 'In sync', cell: (p) => p.isr.join(', ') },
];

const PARTITION_COLUMNS: Column<PartitionInfo>[] = [
  ...LEADERSHIP_COLUMNS,
  { label: 'Log start', numeric: true, cell: (p) => formatCount(p.logStartOffset) },
  { label: 'High watermark', numeric: true, cell: (p) => formatCount(p.highWatermark) },
  { label: 'Log end', numeric: true, cell: (p) => formatCount(p.logEndOffset) },
  {
    label: 'Records',
    numeric: true,
    cell: (p) => (p.highWatermark >= 0 ? formatCount(p.highWatermark - p.logStartOffset) : '—'),
  },
];

function PartitionTable({ topic }: { topic: Topic }) {
  return (
    <DataTable
      caption="Partitions"
      columns={PARTITION_COLUMNS}
      rows={topic.partitions}
      rowKey={(p) => p.partition}
      rowHeader
    />
  );
}

/**
 * The partition count (it only grows) and every setting in effect, each editable; only what
 * changed is sent, and a setting emptied goes back to its default.
 */
function AlterTopicForm({
  client,
  topic,
  onAltered,
}: {
  client: TributaryClient;
  topic: Topic;
  onAltered: () => void;
}) {
  const [partitions, setPartitions] = useState(String(topic.partitions.length));
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const names = Object.keys(topic.configs).sort();

  const submit = (event: Event) => {
    event.preventDefault();
    const configs: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(edits)) {
      if (value === topic.configs[name]) continue;
      configs[name] = value.trim() === '' ? null : value.trim();
    }
    const count = Number(partitions);
    const body = {
      ...(count !== topic.partitions.length ? { partitions: count } : {}),
      ...(Object.keys(configs).length > 0 ? { configs } : {}),
    };
    if (Object.keys(body).length === 0) {
      setError(undefined);
      setDone('Nothing changed.');
      return;
    }
    client.alterTopic(topic.name, body).then(
      (altered) => {
        setError(undefined);
        setEdits({});
        setPartitions(String(altered.partitions.length));
        setDone(`Saved: ${altered.partitions.length} partitions.`);
        onAltered();
      },
      (failure: unknown) => {
        setDone(undefined);
        setError(failure);
      },
    );
  };

  return (
    <section aria-labelledby="alter-topic">
      <h2 id="alter-topic">Partitions and settings</h2>
      <form method="post" class="grid" onSubmit={submit}>
        <Field
          id="alter-partitions"
          label="Partitions"
          input={{ type: 'number', min: topic.partitions.length }}
          value={partitions}
          onValue={setPartitions}
          help={
            <>
              Partitions can be added, not removed. Records with a key may land on another partition
              once there are more.
            </>
          }
        />
        {names.map((name) => (
          <Field
            key={name}
            id={`config-${name.replace(/[^a-z0-9]/gi, '-')}`}
            label={<code>{name}</code>}
            value={edits[name] ?? topic.configs[name] ?? ''}
            onValue={(value) => setEdits({ ...edits, [name]: value })}
          />
        ))}
        <p class="muted span">Empty a setting to restore its default.</p>
        <div class="span">
          <button type="submit">Save changes</button>
        </div>
      </form>
      <ErrorNote error={error} />
      <Status>{done}</Status>
    </section>
  );
}
