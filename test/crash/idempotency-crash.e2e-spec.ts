// Retries with an Idempotency-Key across SIGKILLs: many produces with distinct keys are in
// flight when the node is killed; after the restart every one is retried with its key and the
// same body. Each record must then be in the log exactly once, a key answered before the kill
// must get that answer again, and every answer's offsets must hold that request's records.
// On embedded PGlite and on Postgres (the keys live in the log either way).
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPostgresDatabase, type TestPostgresDatabase } from '../support/postgres-database';
import { seededRandom, testSeed } from '../support/random';
import { callService, type ServiceProcess, startService } from '../support/service-process';

const ROUNDS = 10;
const REQUESTS = 300;
const PARTITIONS = 3;
const ADMIN = 'idempotency-crash-operator-token';
const seed = testSeed();

interface Offset {
  partition: number;
  offset: number;
  timestamp: number;
}

/** Request `i` of a round: two keyed records and a keyless one, so it spans partitions. */
function request(round: number, i: number) {
  const value = (n: number) => `r${round}-q${i}-${n}`;
  return {
    key: `round-${round}-request-${i}`,
    values: [value(0), value(1), value(2)],
    body: {
      records: [
        { key: `k${i}`, value: value(0) },
        { value: value(1) },
        { key: `k${i + 1}`, value: value(2) },
      ],
    },
  };
}

describe.each(['pglite', 'postgres'] as const)(
  `Idempotency-Key retries across SIGKILLs on %s (seed ${seed})`,
  (kind) => {
    let dataDir: string;
    let database: TestPostgresDatabase | undefined;
    let service: ServiceProcess | undefined;

    beforeAll(async () => {
      dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-idempotency-crash-'));
      if (kind === 'postgres') database = await createPostgresDatabase();
    });
    afterAll(async () => {
      service?.proc.kill('SIGKILL');
      await service?.exited;
      await database?.drop();
      await fsp.rm(dataDir, { recursive: true, force: true });
    });

    const start = async () => {
      service = await startService({
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        TRIBUTARY_ADMIN_TOKEN: ADMIN,
        DATABASE_URL: database?.url ?? '',
        REDIS_URL: '',
      });
      return service;
    };

    it(`writes every request once over ${ROUNDS} kill-and-retry rounds`, async () => {
      const random = seededRandom(seed);
      let node = await start();
      await callService(node.url, 'POST', '/v1/admin/tenants', ADMIN, { name: 'retry' });
      const token = (
        await callService(node.url, 'POST', '/v1/admin/tenants/retry/keys', ADMIN, { name: 'k' })
      ).body.key as string;
      const created = await callService(node.url, 'POST', '/v1/topics', token, {
        name: 'payments',
        partitions: PARTITIONS,
      });
      expect(created.status).toBe(201);

      const produce = (url: string, r: ReturnType<typeof request>) =>
        callService(url, 'POST', '/v1/topics/payments/records?acks=all', token, r.body, {
          'Idempotency-Key': r.key,
        });
      /** The final answer of every request: where its records are. */
      const answers = new Map<string, { values: string[]; offsets: Offset[] }>();
      let answeredBeforeKill = 0;
      let replayed = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const requests = Array.from({ length: REQUESTS }, (_, i) => request(round, i));
        const killAfter = Math.floor(random() * (REQUESTS / 2));
        const early = new Map<string, Offset[]>();
        let killed!: () => void;
        const killTime = new Promise<void>((resolve) => (killed = resolve));
        if (killAfter === 0) killed();
        const inFlight = requests.map(async (r) => {
          try {
            const answer = await produce(node.url, r);
            expect(answer.status).toBe(200);
            early.set(r.key, answer.body.offsets);
            if (early.size === killAfter) killed();
          } catch {
            // The connection died with the process: written or not, the retry will tell.
          }
        });
        await killTime;
        node.proc.kill('SIGKILL');
        await node.exited;
        await Promise.all(inFlight);
        answeredBeforeKill += early.size;

        node = await start();
        for (const r of requests) {
          const answer = await produce(node.url, r);
          expect({ key: r.key, status: answer.status }).toEqual({ key: r.key, status: 200 });
          const first = early.get(r.key);
          if (first !== undefined) expect(answer.body.offsets).toEqual(first);
          if (answer.body.offsets !== undefined && first !== undefined) replayed += 1;
          answers.set(r.key, { values: r.values, offsets: answer.body.offsets });
        }
      }

      // The whole log: every value exactly once, at the offsets its request was answered with.
      const stored = new Map<string, string>(); // "partition:offset" -> value
      for (let partition = 0; partition < PARTITIONS; partition++) {
        for (let offset = 0; ;) {
          const page = await callService(
            node.url,
            'GET',
            `/v1/topics/payments/partitions/${partition}/records?offset=${offset}&maxRecords=10000`,
            token,
          );
          expect(page.status).toBe(200);
          if (page.body.records.length === 0) break;
          for (const record of page.body.records) {
            stored.set(`${partition}:${record.offset}`, record.value);
            offset = record.offset + 1;
          }
        }
      }
      const values = [...stored.values()];
      const duplicates = values.length - new Set(values).size;
      expect({ duplicates, records: values.length }).toEqual({
        duplicates: 0,
        records: ROUNDS * REQUESTS * 3,
      });
      for (const { values: sent, offsets } of answers.values()) {
        expect(offsets.map((o) => stored.get(`${o.partition}:${o.offset}`))).toEqual(sent);
      }
      // The kills came while requests were in flight, and some were answered before them.
      expect(answeredBeforeKill).toBeGreaterThan(0);
      expect(replayed).toBe(answeredBeforeKill);
    }, 600_000);
  },
);
