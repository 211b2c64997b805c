// Topics: every topic of the tenant with its partitions and retained records, and a form to
// create one.
import { useState } from 'preact/hooks';
import type { Topic, TopicSummary, TributaryClient } from '@tributary/client';
import { parseConfigLines, TOPIC_CONFIG_NAMES } from './configs';
import { type Column, DataTable } from './data-table';
import { formatCount } from './format';
import { Field } from './form-fields';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Loading, Status } from './ui';

const REFRESH_MS = 5_000;
/** Topics described for their offsets in the list; past this, only their names and counts. */
const DESCRIBED_MAX = 50;

interface Listed {
  summary: TopicSummary;
  detail: Topic | undefined;
}

async function loadTopics(client: TributaryClient): Promise<Listed[]> {
  const summaries = await client.listTopics();
  return Promise.all(
    summaries.map(async (summary, index) => ({
      summary,
      detail:
        index < DESCRIBED_MAX
          ? await client.describeTopic(summary.name).catch(() => undefined)
          : undefined,
    })),
  );
}

/** Records between each partition's log start and high watermark, summed. */
export function retainedRecords(topic: Topic): number {
  return topic.partitions.reduce(
    (sum, p) => sum + (p.highWatermark >= 0 ? p.highWatermark - p.logStartOffset : 0),
    0,
  );
}

export function TopicsView({ client }: { client: TributaryClient }) {
  const topics = usePoll(() => loadTopics(client), REFRESH_MS, [client]);
  return (
    <>
      <h1>Topics</h1>
      <ErrorNote error={topics.error} />
      {topics.data === undefined ? <Loading what="topics" /> : <TopicTable topics={topics.data} />}
      <CreateTopicForm client={client} onCreated={topics.reload} />
    </>
  );
}

const TOPIC_COLUMNS: Column<Listed>[] = [
  {
    label: 'Topic',
    cell: ({ summary }) => (
      <a href={href({ view: 'topic', topic: summary.name })}>{summary.name}</a>
    ),
  },
  { label: 'Partitions', numeric: true, cell: ({ summary }) => summary.partitions },
  { label: 'Replication', numeric: true, cell: ({ summary }) => summary.replicationFactor },
  {
    label: 'Records retained',
    numeric: true,
    cell: ({ detail }) => (detail === undefined ? '—' : formatCount(retainedRecords(detail))),
  },
  {
    label: 'Open',
    class: 'actions',
    cell: ({ summary }) => (
      <>
        <a href={href({ view: 'tail', topic: summary.name })}>Tail</a>
        <a href={href({ view: 'produce', topic: summary.name })}>Produce</a>
      </>
    ),
  },
];

function TopicTable({ topics }: { topics: Listed[] }) {
  if (topics.length === 0) return <p>No topics yet: create one below.</p>;
  return (
    <DataTable
      caption="Topics"
      captionHidden
      columns={TOPIC_COLUMNS}
      rows={topics}
      rowKey={({ summary }) => summary.name}
      rowHeader
    />
  );
}

function CreateTopicForm({
  client,
  onCreated,
}: {
  client: TributaryClient;
  onCreated: () => void;
}) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [replicationFactor, setReplicationFactor] = useState('1');
  const [configs, setConfigs] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<string | undefined>(undefined);

  const submit = (event: Event) => {
    event.preventDefault();
    setCreated(undefined);
    let parsed: Record<string, string>;
    try {
      parsed = parseConfigLines(configs);
    } catch (failure) {
      setError(failure);
      return;
    }
    client
      .createTopic({
        name: name.trim(),
        partitions: Number(partitions),
        replicationFactor: Number(replicationFactor),
        ...(Object.keys(parsed).length === 0 ? {} : { configs: parsed }),
      })
      .then((topic) => {
        setError(undefined);
        setCreated(topic.name);
        setName('');
        setConfigs('');
        onCreated();
      }, setError);
  };

  return (
    <section aria-labelledby="create-topic">
      <h2 id="create-topic">Create a topic</h2>
      <form method="post" class="grid" onSubmit={submit}>
        <Field
          id="topic-name"
          label="Name"
          input={{
            required: true,
            maxLength: 249,
            pattern: '[a-zA-Z0-9._\\-]+',
            title: "Letters, digits, '.', '_' and '-'",
          }}
          value={name}
          onValue={setName}
        />
        <Field
          id="topic-partitions"
          label="Partitions"
          input={{ type: 'number', min: 1, required: true }}
          value={partitions}
          onValue={setPartitions}
        />
        <Field
          id="topic-replication"
          label="Replication factor"
          input={{ type: 'number', min: 1, required: true }}
          value={replicationFactor}
          onValue={setReplicationFactor}
        />
        <label for="topic-configs">Settings (optional)</label>
        <textarea
          id="topic-configs"
          rows={3}
          value={configs}
          placeholder="retention.ms=604800000"
          aria-describedby="topic-configs-help"
          onInput={(e) => setConfigs(e.currentTarget.value)}
        />
        <p id="topic-configs-help" class="muted span">
          One <code>name=value</code> a line: {TOPIC_CONFIG_NAMES.join(', ')}.
        </p>
        <div class="span">
          <button type="submit">Create topic</button>
        </div>
      </form>
      <ErrorNote error={error} />
      <Status>
        {created !== undefined && (
          <>
            Created topic <a href={href({ view: 'topic', topic: created })}>{created}</a>.
          </>
        )}
      </Status>
    </section>
  );
}
