// A fresh Postgres database for tests whose nodes run as child processes (they take only a
// DATABASE_URL): created in the server at TEST_DATABASE_URL, dropped by `drop()` with whatever
// connections are still open to it.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testDatabaseUrl } from '@tributary/metadata';

export interface TestPostgresDatabase {
  /** DATABASE_URL of the new database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createPostgresDatabase(): Promise<TestPostgresDatabase> {
  const serverUrl = testDatabaseUrl();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ).then(() => undefined),
  };
}
