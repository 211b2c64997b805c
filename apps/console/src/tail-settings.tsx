// Where a live tail reads: a topic, all its partitions or one, and where to start.
import { useState } from 'preact/hooks';
import type { TopicSummary } from '@tributary/client';
import type { StartAt, TailOptions } from './tail-socket';
import { type Choice, Choices, Field } from './form-fields';
import { ErrorNote } from './ui';

export type TailStart = TailOptions;

type StartKind = 'latest' | 'earliest' | 'offset' | 'time';

const START_KINDS: Choice<StartKind>[] = [
  { value: 'latest', label: 'New records only' },
  { value: 'earliest', label: 'From the earliest' },
  { value: 'offset', label: 'From offset' },
  { value: 'time', label: 'From time' },
];

export function TailSettings(props: {
  topics: TopicSummary[];
  initialTopic: string | undefined;
  running: boolean;
  onStart: (start: TailStart) => void;
  onStop: () => void;
}) {
  const [topic, setTopic] = useState(props.initialTopic ?? '');
  const [partition, setPartition] = useState('all');
  const [kind, setKind] = useState<StartKind>('latest');
  const [offset, setOffset] = useState('0');
  const [time, setTime] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const chosen = topic === '' ? props.topics[0]?.name : topic;
  const partitions = props.topics.find((t) => t.name === chosen)?.partitions ?? 0;

  const submit = (event: Event) => {
    event.preventDefault();
    if (chosen === undefined) {
      setError(new Error('There is no topic to tail yet.'));
      return;
    }
    let from: StartAt;
    try {
      from = startAt(kind, offset, time);
    } catch (failure) {
      setError(failure);
      return;
    }
    setError(undefined);
    props.onStart({
      topic: chosen,
      ...(partition === 'all' ? {} : { partitions: [Number(partition)] }),
      from,
    });
  };

  return (
    <form method="post" class="tail-settings" onSubmit={submit}>
      <div class="grid">
        <label for="tail-topic">Topic</label>
        <select
          id="tail-topic"
          value={chosen ?? ''}
          onChange={(e) => setTopic(e.currentTarget.value)}
        >
          {props.topics.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <label for="tail-partition">Partition</label>
        <select
          id="tail-partition"
          value={partition}
          onChange={(e) => setPartition(e.currentTarget.value)}
        >
          <option value="all">All partitions</option>
          {Array.from({ length: partitions }, (_, p) => (
            <option key={p} value={String(p)}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>Start</legend>
        <Choices name="tail-start" choices={START_KINDS} value={kind} onChange={setKind} />
        <div class="grid">
          <Field
            id="tail-offset"
            label="Offset"
            input={{ type: 'number', min: 0, disabled: kind !== 'offset' }}
            value={offset}
            onValue={setOffset}
            help={
              <>
                The offset applies to each partition read: choose one partition to start at one of
                its offsets.
              </>
            }
          />
          <Field
            id="tail-time"
            label="Time (local)"
            input={{ type: 'datetime-local', step: 1, disabled: kind !== 'time' }}
            value={time}
            onValue={setTime}
          />
        </div>
      </fieldset>
      <div class="buttons">
        <button type="submit">{props.running ? 'Restart tail' : 'Start tail'}</button>
        <button type="button" class="secondary" disabled={!props.running} onClick={props.onStop}>
          Stop
        </button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function startAt(kind: StartKind, offset: string, time: string): StartAt {
  switch (kind) {
    case 'latest':
    case 'earliest':
      return kind;
    case 'offset': {
      const value = Number(offset);
      if (offset.trim() === '' || !Number.isSafeInteger(value) || value < 0) {
        throw new Error('The offset is a whole number, 0 or more.');
      }
      return { offset: value };
    }
    case 'time': {
      const ms = new Date(time).getTime();
      if (time === '' || Number.isNaN(ms)) throw new Error('Choose a date and time to start from.');
      return { timestamp: ms };
    }
  }
}
