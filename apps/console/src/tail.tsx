// The live tail: records of a topic as they arrive over the WebSocket, newest first, from the
// latest offset, the earliest, a given offset or a given time. It can be paused (the node then
// stops pushing once its credit is used) and filtered by text; it keeps the last rows only.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FetchedRecord, TopicSummary, TributaryClient } from '@tributary/client';
import { appendBounded } from './bounded';
import { type Column, DataTable } from './data-table';
import {
  formatCount,
  formatField,
  formatHeaders,
  formatKey,
  formatTime,
  recordText,
} from './format';
import { TailSocket, type TailState } from './tail-socket';
import { TailSettings, type TailStart } from './tail-settings';
import { usePoll } from './use-poll';
import { ErrorNote, Status } from './ui';

/** Rows the tail keeps; older ones are dropped as new ones arrive. */
export const TAIL_ROWS_MAX = 500;

interface Row {
  id: string;
  record: FetchedRecord;
  text: string;
}

const toRows = (records: FetchedRecord[]): Row[] =>
  records.map((record) => ({
    id: `${record.partition}:${record.offset}`,
    record,
    text: recordText(record),
  }));

export function TailView({
  client,
  initialTopic,
}: {
  client: TributaryClient;
  initialTopic?: string | undefined;
}) {
  const topics = usePoll(() => client.listTopics(), null, [client]);
  const [rows, setRows] = useState<Row[]>([]);
  const [received, setReceived] = useState(0);
  const [held, setHeld] = useState<Row[]>([]);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const [state, setState] = useState<{ state: TailState | 'stopped'; detail?: string }>({
    state: 'stopped',
  });
  const socket = useRef<TailSocket | undefined>(undefined);
  const pausedNow = useRef(false);

  useEffect(() => () => socket.current?.close(), []);

  const start = (settings: TailStart) => {
    socket.current?.close();
    setRows([]);
    setHeld([]);
    setReceived(0);
    setPaused(false);
    pausedNow.current = false;
    const tail = new TailSocket(client, settings, {
      records: (records) => {
        const more = toRows(records);
        setReceived((n) => n + records.length);
        if (pausedNow.current) setHeld((h) => appendBounded(h, more, TAIL_ROWS_MAX));
        else setRows((r) => appendBounded(r, more, TAIL_ROWS_MAX));
      },
      state: (next, detail) =>
        setState(detail === undefined ? { state: next } : { state: next, detail }),
    });
    socket.current = tail;
    void tail.open();
  };

  const stop = () => {
    socket.current?.close();
    socket.current = undefined;
    setState({ state: 'stopped' });
  };

  const togglePause = () => {
    const next = !paused;
    setPaused(next);
    pausedNow.current = next;
    if (next) {
      socket.current?.pause();
      return;
    }
    setRows((r) => appendBounded(r, held, TAIL_ROWS_MAX));
    setHeld([]);
    socket.current?.resume();
  };

  const running = state.state === 'connecting' || state.state === 'live';
  const needle = filter.trim().toLowerCase();
  const shown = needle === '' ? rows : rows.filter((row) => row.text.includes(needle));
  return (
    <>
      <h1>Live tail</h1>
      <ErrorNote error={topics.error} />
      <TailSettings
        topics={topics.data ?? ([] as TopicSummary[])}
        initialTopic={initialTopic}
        running={running}
        onStart={start}
        onStop={stop}
      />
      <div class="toolbar">
        <button type="button" aria-pressed={paused} disabled={!running} onClick={togglePause}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <label for="tail-filter">Filter</label>
        <input
          id="tail-filter"
          type="search"
          value={filter}
          placeholder="text in key, value or headers"
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
        <button type="button" class="secondary" onClick={() => setRows([])}>
          Clear
        </button>
      </div>
      <Status>{describeState(state)}</Status>
      <p class="muted">{describeCounts(received, shown.length, held.length)}</p>
      <RecordTable rows={shown} />
    </>
  );
}

/** Announced when it changes: not at every record, which would drown a screen reader. */
function describeState(state: { state: TailState | 'stopped'; detail?: string }): string {
  switch (state.state) {
    case 'stopped':
      return 'Stopped.';
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live.';
    case 'closed':
      return `Ended: ${state.detail ?? 'closed'}.`;
  }
}

function describeCounts(received: number, shown: number, held: number): string {
  const kept = `${formatCount(received)} received, ${formatCount(shown)} shown (the last ${TAIL_ROWS_MAX} are kept)`;
  return `${kept}${held > 0 ? `, ${formatCount(held)} held while paused` : ''}.`;
}

const RECORD_COLUMNS: Column<Row>[] = [
  { label: 'Partition', numeric: true, cell: ({ record }) => record.partition },
  { label: 'Offset', numeric: true, cell: ({ record }) => record.offset },
  { label: 'Time', class: 'time', cell: ({ record }) => formatTime(record.timestamp) },
  {
    label: 'Key',
    class: 'value',
    cell: ({ record }) => formatKey(record.key, record.keyFormat === 'binary'),
  },
  {
    label: 'Value',
    class: 'value',
    cell: ({ record }) => formatField(record.value, record.valueFormat === 'binary'),
  },
  { label: 'Headers', class: 'value', cell: ({ record }) => formatHeaders(record.headers) },
];

function RecordTable({ rows }: { rows: Row[] }) {
  if (rows.length === 0) return <p class="muted">No records to show.</p>;
  return (
    <DataTable
      class="records"
      caption="Records, newest first"
      captionHidden
      columns={RECORD_COLUMNS}
      rows={[...rows].reverse()}
      rowKey={(row) => row.id}
    />
  );
}
