// Consumer groups: every group of the tenant and its state.
import type { TributaryClient } from '@tributary/client';
import { href } from './route';
import { usePoll } from './use-poll';
import { ErrorNote, Loading } from './ui';

const REFRESH_MS = 5_000;

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
        <table>
          <caption class="visually-hidden">Consumer groups</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {data.map((g) => (
              <tr key={g.group}>
                <th scope="row">
                  <a href={href({ view: 'group', group: g.group })}>{g.group}</a>
                </th>
                <td>{g.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
