// One consumer group: its state, its members with what each owns, each partition's committed
// offset and lag, and the total lag over time, polled every few seconds while the page is open.
import { useEffect, useState } from 'preact/hooks';
import type {
  Assignment,
  Group,
  GroupMember,
  GroupOffset,
  TributaryClient,
} from '@tributary/client';
import { type Column, DataTable } from './data-table';
import { formatCount, formatTime } from './format';
import { LagChart } from './lag-chart';
import { addSample, LAG_SAMPLES_MAX, type LagSample } from './lag-history';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Loading } from './ui';

export const LAG_POLL_MS = 3_000;

export function GroupDetail({ client, group }: { client: TributaryClient; group: string }) {
  const described = usePoll(() => client.describeGroup(group), LAG_POLL_MS, [client, group]);
  const [history, setHistory] = useState<LagSample[]>([]);
  const data = described.data;
  useEffect(() => {
    if (data !== undefined) setHistory((h) => addSample(h, data, Date.now()));
  }, [data]);
  return (
    <>
      <h1>
        Group <span class="name">{group}</span>
      </h1>
      <p class="actions">
        <a href={href({ view: 'groups' })}>All groups</a>
      </p>
      <ErrorNote error={described.error} />
      {data === undefined ? (
        <Loading what="the group" />
      ) : (
        <>
          <p>
            State <strong class="group-state">{data.state}</strong>, epoch {data.groupEpoch},{' '}
            {data.members.length} {data.members.length === 1 ? 'member' : 'members'}, assignor{' '}
            {data.assignor ?? 'not chosen yet'}.
          </p>
          <section aria-labelledby="lag-heading">
            <h2 id="lag-heading">Lag over time</h2>
            <p class="muted">
              Sampled every {LAG_POLL_MS / 1000} s while this page is open; the last{' '}
              {LAG_SAMPLES_MAX} samples are kept.
            </p>
            <LagChart samples={history} />
          </section>
          <MemberTable group={data} />
          <OffsetTable group={data} />
        </>
      )}
    </>
  );
}

function assignmentText(assignment: Assignment[]): string {
  const owned = assignment.filter((a) => a.partitions.length > 0);
  if (owned.length === 0) return 'nothing';
  return owned.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ');
}

const MEMBER_COLUMNS: Column<GroupMember>[] = [
  { label: 'Member', class: 'id', cell: (m) => m.instanceId ?? m.memberId },
  { label: 'Epoch', numeric: true, cell: (m) => m.memberEpoch },
  {
    label: 'Subscribed to',
    cell: (m) => m.subscription.topics?.join(', ') ?? `/${m.subscription.topicPattern ?? ''}/`,
  },
  { label: 'Assigned', cell: (m) => assignmentText(m.assignment) },
  {
    label: 'Last heard from',
    class: 'time',
    cell: (m) => formatTime(Date.parse(m.lastHeartbeatAt)),
  },
];

function MemberTable({ group }: { group: Group }) {
  if (group.members.length === 0) return <p>No members.</p>;
  return (
    <DataTable
      caption="Members"
      columns={MEMBER_COLUMNS}
      rows={group.members}
      rowKey={(m) => m.memberId}
      rowHeader
    />
  );
}

const OFFSET_COLUMNS: Column<GroupOffset>[] = [
  { label: 'Topic', cell: (o) => o.topic },
  { label: 'Partition', numeric: true, cell: (o) => o.partition },
  { label: 'Committed', numeric: true, cell: (o) => formatCount(o.committedOffset) },
  { label: 'Position', numeric: true, cell: (o) => formatCount(o.position) },
  { label: 'High watermark', numeric: true, cell: (o) => formatCount(o.highWatermark) },
  { label: 'Lag', numeric: true, class: 'lag', cell: (o) => formatCount(o.lag) },
];

function OffsetTable({ group }: { group: Group }) {
  if (group.offsets.length === 0) return <p>No committed offsets yet.</p>;
  return (
    <DataTable
      caption="Offsets and lag"
      columns={OFFSET_COLUMNS}
      rows={group.offsets}
      rowKey={(o) => `${o.topic}:${o.partition}`}
    />
  );
}
