// What a browser page needs from the HTTP side, against a real node: CORS for the allowed
// origins only (preflights with the methods and headers the API takes, exposed headers, no
// credentials mode, nothing for other origins, hot routes included), and Server-Sent Events
// opened with a single-use ticket instead of a header, resumed where they stopped with a fresh
// ticket and `lastEventId`, as a page does with a new EventSource.
import { type TestNode, startTestNode } from './harness';

const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

/** Reads an event stream until `count` record ids have arrived; returns them and the cursor. */
async function readEvents(
  url: string,
  count: number,
): Promise<{ status: number; ids: string[]; cursor: string; body?: string }> {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  if (response.status !== 200)
    return { status: response.status, ids: [], cursor: '', body: await response.text() };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const ids: string[] = [];
  let cursor = '';
  let buffer = '';
  let id: string | undefined;
  let data = false;
  try {
    // Bounded by the count of records asked for; the test's timeout bounds the waiting.
    while (ids.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while (ids.length < count && (newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data = true;
        else if (line === '') {
          if (id !== undefined) cursor = id;
          if (id !== undefined && data) ids.push(id);
          id = undefined;
          data = false;
        }
      }
    }
  } finally {
    abort.abort();
  }
  return { status: 200, ids, cursor };
}

describe('browser access', () => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('pglite', {}, { allowedOrigins: [ALLOWED] });
    key = await t.tenant('acme');
    const created = await t.api.post('/v1/topics', {
      token: key,
      body: { name: 'clicks', partitions: 1 },
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => t?.cleanup());

  it('answers a preflight from an allowed origin with what a browser needs, and refuses others', async () => {
    const preflight = (origin: string) =>
      t.api.call('OPTIONS', '/v1/topics/clicks/records', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
    const allowed = await preflight(ALLOWED);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const headers = allowed.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const name of ['authorization', 'content-type', 'idempotency-key', 'last-event-id']) {
      expect(headers).toContain(name);
    }
    expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(allowed.headers.get('vary')).toContain('Origin');

    const refused = await preflight(OTHER);
    expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed origin read the answers of every route, the hot ones included', async () => {
    const produced = await t.api.post('/v1/topics/clicks/records', {
      token: key,
      body: { records: [{ value: { n: 1 } }] },
      headers: { origin: ALLOWED },
    });
    expect(produced.status).toBe(200);
    expect(produced.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const exposed = produced.headers.get('access-control-expose-headers')!;
    expect(exposed).toContain('Retry-After');
    expect(exposed).toContain('X-Request-Id');
    const listed = await t.api.get('/v1/topics', { token: key, headers: { origin: ALLOWED } });
    expect(listed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    // An error answer too: the page can read the problem.
    const missing = await t.api.get('/v1/topics/none', {
      token: key,
      headers: { origin: ALLOWED },
    });
    expect([missing.status, missing.headers.get('access-control-allow-origin')]).toEqual([
      404,
      ALLOWED,
    ]);
    // Another origin's page gets no CORS header: its browser keeps the answer from it.
    const other = await t.api.get('/v1/topics', { token: key, headers: { origin: OTHER } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('opens an event stream with a single-use ticket and resumes it with a fresh one', async () => {
    for (let i = 0; i < 4; i++) {
      const reply = await t.api.post('/v1/topics/clicks/records', {
        token: key,
        body: { records: [{ value: { i } }] },
      });
      expect(reply.status).toBe(200);
    }
    const ticket = async () => {
      const issued = await t.api.post('/v1/ws/tickets', { token: key });
      expect(issued.status).toBe(201);
      return issued.body.ticket as string;
    };
    const base = `${t.api.baseUrl}/v1/topics/clicks/events?from=earliest`;
    const first = await ticket();
    const opened = await readEvents(`${base}&ticket=${encodeURIComponent(first)}`, 2);
    expect(opened.status).toBe(200);
    expect(opened.ids).toEqual(['0:0', '0:1']);
    // Used once: it opens nothing more.
    const again = await readEvents(`${base}&ticket=${encodeURIComponent(first)}`, 1);
    expect([again.status, JSON.parse(again.body!).code]).toEqual([401, 'UNAUTHENTICATED']);
    // Without any credential: 401 as before.
    expect((await readEvents(base, 1)).status).toBe(401);
    // A new EventSource with a fresh ticket and the last id it saw: it goes on from there.
    const resumed = await readEvents(
      `${base}&ticket=${encodeURIComponent(await ticket())}&lastEventId=${encodeURIComponent(opened.cursor)}`,
      3,
    );
    expect(resumed.ids).toEqual(['0:2', '0:3', '0:4']);
  });
});
