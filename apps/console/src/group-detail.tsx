// One consumer group: its state, its members with what each owns, each partition's committed
// offset and lag, and the total lag over time, polled every few seconds while the page is open.
import { useEffect, useState } from 'preact/hooks';
import type { Assignment, Group, TributaryClient } from '@tributary/client';
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

function MemberTable({ group }: { group: Group }) {
  if (group.members.length === 0) return <p>No members.</p>;
  return (
    <table>
      <caption>Members</caption>
      <thead>
        <tr>
          <th scope="col">Member</th>
          <th scope="col" class="num">
            Epoch
          </th>
          <th scope="col">Subscribed to</th>
          <th scope="col">Assigned</th>
          <th scope="col">Last heard from</th>
        </tr>
      </thead>
      <tbody>
        {group.members.map((m) => (
          <tr key={m.memberId}>
            <th scope="row" class="id">
              {m.instanceId ?? m.memberId}
            </th>
            <td class="num">{m.memberEpoch}</td>
            <td>{m.subscription.topics?.join(', ') ?? `/${m.subscription.topicPattern ?? ''}/`}</td>
            <td>{assignmentText(m.assignment)}</td>
            <td class="time">{formatTime(Date.parse(m.lastHeartbeatAt))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OffsetTable({ group }: { group: Group }) {
  if (group.offsets.length === 0) return <p>No committed offsets yet.</p>;
  return (
    <table>
      <caption>Offsets and lag</caption>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col" class="num">
            Partition
          </th>
          <th scope="col" class="num">
            Committed
          </th>
          <th scope="col" class="num">
            Position
          </th>
          <th scope="col" class="num">
            High watermark
          </th>
          <th scope="col" class="num">
            Lag
          </th>
        </tr>
      </thead>
      <tbody>
        {group.offsets.map((o) => (
          <tr key={`${o.topic}:${o.partition}`}>
            <td>{o.topic}</td>
            <td class="num">{o.partition}</td>
            <td class="num">{formatCount(o.committedOffset)}</td>
            <td class="num">{formatCount(o.position)}</td>
            <td class="num">{formatCount(o.highWatermark)}</td>
            <td class="num lag">{formatCount(o.lag)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
