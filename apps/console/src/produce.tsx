// Produce one record: a key, a value given as JSON or as text, a partition (else the key
// chooses, as Kafka's partitioner would), and headers.
import { useState } from 'preact/hooks';
import type { Header, ProduceRecord, RecordOffset, TributaryClient } from '@tributary/client';
import { type Choice, Choices, Field } from './form-fields';
import { HeaderFields } from './header-fields';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Status } from './ui';

type ValueFormat = 'json' | 'string';

const VALUE_FORMATS: Choice<ValueFormat>[] = [
  { value: 'json', label: 'JSON' },
  { value: 'string', label: 'Text' },
];

export function ProduceView({
  client,
  initialTopic,
}: {
  client: TributaryClient;
  initialTopic?: string | undefined;
}) {
  const topics = usePoll(() => client.listTopics(), null, [client]);
  const [topic, setTopic] = useState(initialTopic ?? '');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [format, setFormat] = useState<ValueFormat>('json');
  const [partition, setPartition] = useState('');
  const [headers, setHeaders] = useState<Header[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [written, setWritten] = useState<RecordOffset | undefined>(undefined);
  const names = (topics.data ?? []).map((t) => t.name);
  const chosen = topic === '' ? names[0] : topic;

  const submit = (event: Event) => {
    event.preventDefault();
    setWritten(undefined);
    if (chosen === undefined) {
      setError(new Error('There is no topic to write to yet.'));
      return;
    }
    let record: ProduceRecord;
    try {
      record = toRecord(key, value, format, partition, headers);
    } catch (failure) {
      setError(failure);
      return;
    }
    client
      .produce(chosen, [record], { keyFormat: 'string', valueFormat: format })
      .then(({ offsets: [offset] }) => {
        setError(undefined);
        setWritten(offset);
      }, setError);
  };

  return (
    <>
      <h1>Produce</h1>
      <ErrorNote error={topics.error} />
      <form method="post" class="grid" onSubmit={submit}>
        <label for="produce-topic">Topic</label>
        <select
          id="produce-topic"
          value={chosen ?? ''}
          onChange={(e) => setTopic(e.currentTarget.value)}
        >
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <Field id="produce-key" label="Key (optional)" value={key} onValue={setKey} />
        <fieldset class="span">
          <legend>Value format</legend>
          <Choices
            name="value-format"
            choices={VALUE_FORMATS}
            value={format}
            onChange={setFormat}
          />
        </fieldset>
        <label for="produce-value">Value</label>
        <textarea
          id="produce-value"
          rows={5}
          value={value}
          aria-describedby="produce-value-help"
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <p id="produce-value-help" class="muted span">
          As JSON, <code>null</code> writes a tombstone. As text, the value is written as typed.
        </p>
        <Field
          id="produce-partition"
          label="Partition (optional)"
          input={{ type: 'number', min: 0 }}
          value={partition}
          onValue={setPartition}
          help={
            <>
              Empty: the key chooses the partition (as Kafka's partitioner does), or any partition
              when there is no key.
            </>
          }
        />
        <HeaderFields headers={headers} onChange={setHeaders} />
        <div class="span">
          <button type="submit">Produce</button>
        </div>
      </form>
      <ErrorNote error={error} />
      <Status>
        {written !== undefined && chosen !== undefined && (
          <>
            Written to partition {written.partition} at offset {written.offset}.{' '}
            <a href={href({ view: 'tail', topic: chosen })}>Tail {chosen}</a>
          </>
        )}
      </Status>
    </>
  );
}

function toRecord(
  key: string,
  value: string,
  format: ValueFormat,
  partition: string,
  headers: Header[],
): ProduceRecord {
  const record: ProduceRecord = { value: format === 'json' ? parseJson(value) : value };
  if (key !== '') record.key = key;
  if (partition.trim() !== '') {
    const p = Number(partition);
    if (!Number.isSafeInteger(p) || p < 0) throw new Error('The partition is a whole number.');
    record.partition = p;
  }
  const given = headers.filter((h) => h.key !== '');
  if (given.length > 0) record.headers = given;
  return record;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(
      `The value is not valid JSON (${error instanceof Error ? error.message : String(error)}); ` +
        'choose Text to send it as it is.',
    );
  }
}
