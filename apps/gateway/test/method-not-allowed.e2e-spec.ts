// A method a known path is not served with is 405 METHOD_NOT_ALLOWED with an Allow header
// (RFC 9110), the hot routes included and before any credential is checked; a path no route
// takes stays 404 ROUTE_NOT_FOUND. Every path of the OpenAPI document lists in Allow exactly the
// methods the document gives it.
import { type Reply, type TestNode, startTestNode } from './harness';

const ORIGIN = 'https://app.example.com';

interface Case {
  method: string;
  path: string;
  allow: string;
}

const CASES: Case[] = [
  { method: 'PUT', path: '/v1/topics', allow: 'GET, HEAD, POST' },
  { method: 'PUT', path: '/v1/topics/', allow: 'GET, HEAD, POST' },
  { method: 'POST', path: '/v1/topics/orders', allow: 'GET, HEAD, PATCH, DELETE' },
  { method: 'DELETE', path: '/v1/topics/orders/records', allow: 'POST' },
  { method: 'GET', path: '/v1/topics/orders/records', allow: 'POST' },
  { method: 'POST', path: '/v1/topics/orders/partitions/0/records?offset=0', allow: 'GET, HEAD' },
  { method: 'GET', path: '/v1/topics/orders/partitions/0/delete-records', allow: 'POST' },
  { method: 'GET', path: '/v1/groups/g/members', allow: 'POST' },
  { method: 'POST', path: '/v1/groups/g/members/m-1', allow: 'DELETE' },
  { method: 'PATCH', path: '/v1/admin/tenants', allow: 'GET, HEAD, POST' },
  { method: 'GET', path: '/v1/admin/tenants/acme/keys/k-1', allow: 'DELETE' },
  { method: 'GET', path: '/v1/cluster/nodes/2/drain', allow: 'POST, DELETE' },
  { method: 'OPTIONS', path: '/v1/cluster', allow: 'GET, HEAD' },
  { method: 'POST', path: '/healthz', allow: 'GET, HEAD' },
  { method: 'DELETE', path: '/metrics', allow: 'GET, HEAD' },
  { method: 'POST', path: '/openapi.json', allow: 'GET, HEAD' },
  { method: 'PUT', path: '/docs', allow: 'GET, HEAD' },
];

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({
    status: reply.status,
    type: reply.headers.get('content-type'),
    code: reply.body?.code,
    retriable: reply.body?.retriable,
  }).toEqual({
    status,
    type: 'application/problem+json; charset=utf-8',
    code,
    retriable: false,
  });
}

describe('405 Method Not Allowed', () => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('pglite', {}, { allowedOrigins: [ORIGIN] });
    key = await t.tenant('acme');
  });
  afterAll(() => t?.cleanup());

  test.each(CASES)('$method $path -> 405, Allow: $allow', async ({ method, path, allow }) => {
    const reply = await t.api.call(method, path, { token: key });
    expectProblem(reply, 405, 'METHOD_NOT_ALLOWED');
    expect(reply.headers.get('allow')).toBe(allow);
    expect(reply.body.detail).toContain(allow);
  });

  test('it comes before the credential is checked, and HEAD gets the headers only', async () => {
    const anonymous = await t.api.call('DELETE', '/v1/topics', {});
    expectProblem(anonymous, 405, 'METHOD_NOT_ALLOWED');
    expect(anonymous.headers.get('allow')).toBe('GET, HEAD, POST');
    const head = await t.api.call('HEAD', '/v1/topics/orders/records', { token: key });
    expect([head.status, head.headers.get('allow'), head.text]).toEqual([405, 'POST', '']);
  });

  test('a path no route takes is still 404 ROUTE_NOT_FOUND, without Allow', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['PUT', '/v1/topics/orders/partitions'],
      ['DELETE', '/v1/topics/orders/partitions/0/records/1'],
      ['POST', '/docs/swagger-ui.css'],
    ] as const) {
      const reply = await t.api.call(method, path, { token: key });
      expectProblem(reply, 404, 'ROUTE_NOT_FOUND');
      expect(reply.headers.get('allow')).toBeNull();
    }
  });

  test('a page on an allowed origin may read Allow', async () => {
    const reply = await t.api.call('PUT', '/v1/topics', {
      token: key,
      headers: { origin: ORIGIN },
    });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const exposed = (reply.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);
    expect(exposed).toContain('Allow');
  });

  test("every path of the OpenAPI document allows exactly the document's methods", async () => {
    const document = (await t.api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const paths = Object.entries(document.paths);
    expect(paths.length).toBeGreaterThanOrEqual(25);
    for (const [template, operations] of paths) {
      const path = template.replace(/\{partition\}|\{id\}/g, '1').replace(/\{\w+\}/g, 'x');
      const documented = Object.keys(operations).map((m) => m.toUpperCase());
      if (documented.includes('GET')) documented.push('HEAD');
      // No route takes PUT, so every path answers it with its Allow.
      const reply = await t.api.call('PUT', path, { token: key });
      const allow = (reply.headers.get('allow') ?? '').split(', ').sort();
      expect({ template, status: reply.status, allow }).toEqual({
        template,
        status: 405,
        allow: documented.sort(),
      });
    }
  });
});
