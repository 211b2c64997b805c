// Every operation of the committed OpenAPI document, driven with malformed requests from a
// printed seed (TEST_SEED=<seed> replays a run) against a real node on Postgres and Redis: no
// answer is 5xx, and every error is problem+json with a code from the catalogue and
// `retriable`. Bounded in count and in time; each 5xx it found is a case of its own in
// bad-input.e2e-spec.ts or http-parser.e2e-spec.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERRORS } from '@tributary/common';
import { seededRandom, testSeed } from '../../../test/support/random';
import { type TestNode, startTestNode } from './harness';
import { type Fixtures, MalformedRequests, operationsOf } from './malformed-requests';
import { type RawAnswer, type RawRequest, sendRaw } from './raw-http';

const REQUESTS_MAX = 3_000;
const DURATION_MS_MAX = 20_000;
const ANSWER_TIMEOUT_MS = 10_000;

const document = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../openapi/openapi.json'), 'utf8'),
) as Parameters<typeof operationsOf>[0];

/** What is wrong with an answer, if anything. */
function fault(request: RawRequest, answer: RawAnswer): string | undefined {
  if (answer.status === 0) return 'no answer';
  if (answer.status >= 500) return `${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400 || request.method === 'HEAD') return undefined;
  if (!(answer.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    return `${answer.status} as ${answer.headers['content-type']}: ${answer.body.slice(0, 200)}`;
  }
  const problem = JSON.parse(answer.body) as { code?: unknown; retriable?: unknown };
  if (typeof problem.code !== 'string' || !(problem.code in ERRORS)) {
    return `${answer.status} without a catalogue code: ${answer.body.slice(0, 200)}`;
  }
  if (typeof problem.retriable !== 'boolean') return `${answer.status} without retriable`;
  return undefined;
}

describe('malformed requests on every route of the OpenAPI document', () => {
  let t: TestNode;
  let fixtures: Fixtures;

  beforeAll(async () => {
    t = await startTestNode('postgres', {}, { coordination: 'redis' });
    const apiKey = await t.tenant('fuzz');
    await t.tenant('fuzz-admin');
    const keys = await t.api.get('/v1/admin/tenants/fuzz-admin/keys', { token: t.admin });
    const topic = await t.api.post('/v1/topics', {
      token: apiKey,
      body: { name: 'f', partitions: 2 },
    });
    expect(topic.status).toBe(201);
    await t.api.post('/v1/topics/f/records', { token: apiKey, body: { records: [{ value: 1 }] } });
    const member = await t.api.post('/v1/groups/fg/members', {
      token: apiKey,
      body: { topics: ['f'], sessionTimeoutMs: 300_000 },
    });
    expect(member.status).toBe(201);
    fixtures = {
      apiKey,
      operator: t.admin,
      path: {
        tenant: 'fuzz-admin',
        id: keys.body.keys[0].id as string,
        topic: 'f',
        partition: '0',
        group: 'fg',
        member: member.body.memberId as string,
      },
    };
  }, 60_000);
  afterAll(() => t.cleanup());

  test(
    'no 5xx, and every error is problem+json with a code and retriable',
    async () => {
      const seed = testSeed();
      console.log(`malformed-request fuzz: seed ${seed} (TEST_SEED=${seed} replays this run)`);
      const random = seededRandom(seed);
      const requests = new MalformedRequests(random, fixtures);
      const operations = operationsOf(document);
      expect(operations.length).toBeGreaterThanOrEqual(30);
      const faults: string[] = [];
      const tried = new Set<string>();
      const statuses = new Map<number, number>();
      const startedMs = Date.now();
      let sent = 0;
      while (sent < REQUESTS_MAX && Date.now() - startedMs < DURATION_MS_MAX) {
        // Round after round over every operation, so that each is driven whatever the bound.
        const op = operations[sent % operations.length]!;
        const { request, what } = requests.next(op);
        const answer = await sendRaw(t.node.port, request, ANSWER_TIMEOUT_MS).catch(
          (error: Error): RawAnswer => ({ status: 0, headers: {}, body: error.message }),
        );
        const found = fault(request, answer);
        if (found !== undefined) {
          faults.push(
            `${op.method} ${op.path} [${what.join('; ')}] sent as ${request.method} ` +
              `${request.target.slice(0, 120)} -> ${found}`,
          );
        }
        tried.add(`${op.method} ${op.path}`);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        sent++;
      }
      const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
      console.log(
        `malformed-request fuzz: ${sent} requests in ${Date.now() - startedMs} ms (${byStatus.join(', ')})`,
      );
      expect(tried.size).toBe(operations.length);
      expect(faults).toEqual([]);
    },
    DURATION_MS_MAX + 2 * ANSWER_TIMEOUT_MS,
  );
});
