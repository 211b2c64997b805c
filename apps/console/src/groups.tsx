// Consumer groups: every group of the tenant and its state.
import type { GroupSummary, TributaryClient } from '@tributary/client';
import { type Column, DataTable } from './data-table';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Loading } from './ui';

const REFRESH_MS = 5_000;

const GROUP_COLUMNS: Column<GroupSummary>[] = [
  { label: 'Group', cell: (g) => <a href={href({ view: 'group', group: g.group })}>{g.group}</a> },
  { label: 'State', cell: (g) => g.state },
];

export function GroupsView({ client }: { client: TributaryClient }) {
  const groups = usePoll(() => client.listGroups(), REFRESH_MS, [client]);
  const data = groups.data;
  return (
    <>
      <h1>Consumer groups</h1>
      <ErrorNote error={groups.error} />
      {data === undefined ? (
        <Loading what="groups" />
      ) : data.length === 0 ? (
        <p>
          No consumer groups yet. A group appears when its first member joins (
          <code>POST /v1/groups/&#123;group&#125;/members</code>, or a WebSocket subscribe with a{' '}
          <code>group</code>).
        </p>
      ) : (
        <DataTable
          caption="Consumer groups"
          captionHidden
          columns={GROUP_COLUMNS}
          rows={data}
          rowKey={(g) => g.group}
          rowHeader
        />
      )}
    </>
  );
}
