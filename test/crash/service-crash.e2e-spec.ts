// SIGKILL the service process (`node dist/apps/broker/src/main.js`, standalone, embedded
// metadata) while clients produce with acks=all, restart it, and check that every acknowledged
// record is at its acknowledged offset and that the log holds nothing that was never sent.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom, testSeed } from '../support/random';
import { callService as call, type ServiceProcess, startService } from '../support/service-process';

const ROUNDS = 5;
const CLIENTS = 8;
const PARTITIONS = 3;
const ADMIN = 'crash-test-operator-token';
const seed = testSeed();

function startNode(dataDir: string): Promise<ServiceProcess> {
  return startService({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    TRIBUTARY_ADMIN_TOKEN: ADMIN,
    DATABASE_URL: '',
    REDIS_URL: '',
  });
}

/** Waits until the service reports `count` parked long-polls in its metrics. */
async function parkedLongPolls(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const text = await (await fetch(url + '/metrics')).text();
    if (new RegExp(`^tributary_fetch_long_polls ${count}$`, 'm').test(text)) return;
  }
  throw new Error(`no ${count} parked long-poll(s) within 10 s`);
}

describe(`service crash test (seed ${seed})`, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-service-crash-'));
  });
  afterAll(() => fsp.rm(dataDir, { recursive: true, force: true }));

  it(`keeps every acknowledged record across ${ROUNDS} SIGKILLs under acks=all load`, async () => {
    const random = seededRandom(seed);
    const sent = new Set<string>();
    const acked = new Map<string, string>(); // "partition:offset" -> value
    let service = await startNode(dataDir);
    await call(service.url, 'POST', '/v1/admin/tenants', ADMIN, { name: 'crash' });
    const key = (
      await call(service.url, 'POST', '/v1/admin/tenants/crash/keys', ADMIN, { name: 'k' })
    ).body.key as string;
    expect(
      (
        await call(service.url, 'POST', '/v1/topics', key, {
          name: 'ledger',
          partitions: PARTITIONS,
        })
      ).status,
    ).toBe(201);

    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) service = await startNode(dataDir);
      // The kill comes after a random number of acknowledged requests, with more in flight.
      const killAfterAcks = 20 + Math.floor(random() * 200);
      let acksThisRound = 0;
      let killed!: () => void;
      const killTime = new Promise<void>((resolve) => (killed = resolve));
      let stop = false;
      const clients = Array.from({ length: CLIENTS }, async (_, client) => {
        for (let seq = 0; !stop; seq++) {
          const values = [0, 1, 2].map((i) => `r${round}-c${client}-s${seq}-${i}`);
          values.forEach((v) => sent.add(v));
          const records = values.map((value) => ({ key: `c${client}`, value }));
          let answer;
          try {
            answer = await call(service.url, 'POST', '/v1/topics/ledger/records?acks=all', key, {
              records,
            });
          } catch {
            return; // the connection died with the process: these records may or may not be there
          }
          expect(answer.status).toBe(200);
          answer.body.offsets.forEach((o: { partition: number; offset: number }, i: number) =>
            acked.set(`${o.partition}:${o.offset}`, values[i]!),
          );
          if (++acksThisRound === killAfterAcks) killed();
        }
      });
      await killTime;
      service.proc.kill('SIGKILL');
      await service.exited;
      stop = true;
      await Promise.all(clients);
    }

    service = await startNode(dataDir);
    try {
      const stored = new Map<string, string>();
      for (let partition = 0; partition < PARTITIONS; partition++) {
        let offset = 0;
        for (;;) {
          const page = await call(
            service.url,
            'GET',
            `/v1/topics/ledger/partitions/${partition}/records?offset=${offset}&maxRecords=10000`,
            key,
          );
          expect(page.status).toBe(200);
          for (const record of page.body.records) {
            expect(record.offset).toBe(offset); // dense
            stored.set(`${partition}:${record.offset}`, record.value);
            offset = record.offset + 1;
          }
          if (page.body.records.length === 0) break;
        }
      }
      expect(acked.size).toBeGreaterThan(0);
      for (const [where, value] of acked)
        expect({ where, value: stored.get(where) }).toEqual({ where, value });
      const values = [...stored.values()];
      for (const value of values) expect(sent.has(value)).toBe(true);
      expect(new Set(values).size).toBe(values.length);

      // SIGTERM drains: a parked long-poll is answered (empty), then the process exits 0.
      const end = (await call(service.url, 'GET', '/v1/topics/ledger', key)).body.partitions[0]
        .highWatermark;
      const polling = call(
        service.url,
        'GET',
        `/v1/topics/ledger/partitions/0/records?offset=${end}&maxWaitMs=30000`,
        key,
      );
      await parkedLongPolls(service.url, 1);
      service.proc.kill('SIGTERM');
      const answered = await polling;
      expect(answered).toMatchObject({ status: 200, body: { records: [] } });
      await service.exited;
      expect(service.proc.exitCode).toBe(0);
    } finally {
      service.proc.kill('SIGKILL');
      await service.exited;
    }
  }, 180_000);
});
