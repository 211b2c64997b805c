// The store over a Postgres that goes away: reached through a fault proxy (so the shared server
// is never touched), every repository call answers UNAVAILABLE rather than failing as a bug or
// hanging, and once Postgres is back the store reloads its cache by itself, picking up what was
// written while it could not see (as a write whose answer the outage lost would be).
import { randomBytes } from 'node:crypto';
import { type BrokerError, isBrokerError } from '@tributary/common';
import { Client } from 'pg';
import { FaultProxy } from '../../../test/support/fault-proxy';
import { hashSecret } from './api-key-repository';
import { type Database, openDatabase } from './database';
import { MetadataCache } from './metadata-cache';
import { MetadataStore } from './metadata-store';
import { prepareTestDatabase, type TestDatabaseTarget, testDatabaseUrl } from './test-databases';
import { TopicRepository } from './topic-repository';

const UNAVAILABLE = { code: 'UNAVAILABLE', retriable: true, extra: { retryAfterSeconds: 1 } };

describe('MetadataStore through a failing Postgres', () => {
  // Names this store's connections in pg_stat_activity, so the test ends only its own.
  const applicationName = `trb_outage_${randomBytes(4).toString('hex')}`;
  let proxy: FaultProxy;
  let target: TestDatabaseTarget;
  let store: MetadataStore;
  /** The same database, not through the proxy: another node writing while this one is cut. */
  let direct: Database;
  let admin: Client;
  let tenantId: string;
  let reloads = 0;

  beforeAll(async () => {
    const server = new URL(testDatabaseUrl());
    proxy = await FaultProxy.start({
      host: server.hostname,
      port: Number(server.port === '' ? 5432 : server.port),
    });
    target = await prepareTestDatabase('postgres');
    const url = new URL(proxy.rewrite(target.options.databaseUrl!));
    url.searchParams.set('application_name', applicationName);
    store = await MetadataStore.open({ ...target.options, databaseUrl: url.toString() });
    store.onReloaded(() => reloads++);
    direct = await openDatabase(target.options);
    admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    tenantId = (await store.tenants.create({ name: 'acme' })).id;
  });

  afterAll(async () => {
    if (proxy.isCut) await proxy.restore();
    await store.close();
    await direct.close();
    await admin.end();
    await target.cleanup();
    await proxy.close();
  });

  it('answers UNAVAILABLE while Postgres refuses, then reloads its cache once it is back', async () => {
    await proxy.cut('refuse');
    const calls: [string, () => Promise<unknown>][] = [
      ['create a tenant', () => store.tenants.create({ name: 'later' })],
      ['list tenants', () => store.tenants.list()],
      ['create a key', () => store.apiKeys.create(keyInput('k1'))],
      ['create a topic (a transaction)', () => store.topics.create(topicInput('during'))],
      ['commit offsets (a transaction)', () => commitTo('nowhere')],
      ['fetch offsets', () => store.groupOffsets.fetch(tenantId, 'g')],
      ['append to the audit log', () => store.audit.append(auditInput())],
      ['reload', () => store.reload()],
    ];
    const outcomes = await Promise.allSettled(calls.map(([, call]) => call()));
    outcomes.forEach((outcome, i) =>
      expect({ call: calls[i]![0], outcome }).toMatchObject({
        outcome: { status: 'rejected', reason: UNAVAILABLE },
      }),
    );
    expect(await store.ping()).toBe(false);

    // Another node creates a topic meanwhile; this store cannot see it yet.
    const theirs = new TopicRepository(direct.prisma, new MetadataCache());
    const { topic } = await theirs.create(topicInput('while-away'));
    expect(store.cache.topic(topic.id)).toBeUndefined();

    await proxy.restore();
    await store.whenRecovered();
    expect(reloads).toBe(1);
    expect(store.cache.topicByName(tenantId, 'while-away')).toEqual(topic);
    expect(await store.ping()).toBe(true);
    await expect(store.apiKeys.create(keyInput('k2'))).resolves.toMatchObject({ name: 'k2' });
  }, 30_000);

  // The statement timeout bounds the wait: the call fails well within this test's timeout.
  it('answers UNAVAILABLE when Postgres stops answering, instead of waiting', async () => {
    await proxy.cut('blackhole');
    const outcomes = await Promise.allSettled([
      store.tenants.list(),
      store.topics.create(topicInput('in-the-dark')),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: UNAVAILABLE });
    }
    await proxy.restore();
    await store.whenRecovered();
    await expect(store.tenants.list()).resolves.toHaveLength(1);
  }, 30_000);

  it('reconnects after its backends are terminated', async () => {
    await store.tenants.list(); // at least one pooled connection
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(rowCount).toBeGreaterThan(0);
    // The pool may hand out a connection that has not yet noticed it was ended: that call is
    // UNAVAILABLE; a later one gets a fresh connection.
    const failures: BrokerError[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await store.tenants.list();
        break;
      } catch (error) {
        if (!isBrokerError(error, 'UNAVAILABLE')) throw error;
        failures.push(error);
      }
    }
    expect(failures.length).toBeLessThan(5);
    for (const failure of failures) expect(failure).toMatchObject(UNAVAILABLE);
    await store.whenRecovered();
    await expect(store.topics.create(topicInput('after'))).resolves.toBeDefined();
  });

  function keyInput(name: string) {
    return { tenantId, name, secretHash: hashSecret(name) };
  }

  function topicInput(name: string) {
    return { tenantId, name, partitionCount: 1, replicationFactor: 1, replicas: [[1]] };
  }

  function commitTo(group: string) {
    const topicId = store.cache.topics(tenantId)[0]?.id ?? tenantId;
    return store.groupOffsets.commit(tenantId, group, [{ topicId, partition: 0, offset: 1 }]);
  }

  function auditInput() {
    return { actor: 'operator', action: 'test', target: 'tenant/acme' };
  }
});
