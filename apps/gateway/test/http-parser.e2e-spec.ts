// What node:http's parser refuses (oversized headers, bytes a header may not hold, a malformed
// request, a body the client ends early) is answered as problem+json like every other error,
// exactly once, and only where no other answer is on the wire.
import { connect } from 'node:net';
import { type TestNode, startTestNode } from './harness';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `bytes` on a fresh connection (then half-closes it, if asked) and reads until the end. */
function exchange(port: number, bytes: string, halfClose: boolean): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      socket.write(bytes, 'latin1');
      if (halfClose) socket.end();
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      socket.destroy();
      resolve(parseResponses(text));
    });
    socket.on('error', reject);
  });
}

/** Every response in `text`, each read by its Content-Length; whatever else is there fails. */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error(`not a response: ${JSON.stringify(rest)}`);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(statusLine?.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

interface Case {
  name: string;
  request: (key: string) => string;
  /** The client half-closes after sending: no more bytes will come. */
  halfClose?: boolean;
  status: number;
  code: string;
}

const json = (key: string, path: string, extra: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
  `Content-Type: application/json\r\n${extra}`;

const CASES: Case[] = [
  {
    name: 'headers over 16 KiB',
    request: () => `GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
    code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  },
  {
    name: 'a control byte in a header value',
    request: () => 'GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a space in a header name',
    request: () => 'GET /v1/topics HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\n\r\n',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a malformed request line',
    request: () => 'NOT HTTP AT ALL\r\n\r\n',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a Content-Length that is not a number',
    request: (key) => json(key, '/v1/topics', 'Content-Length: ten\r\n\r\n{}'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a chunk size that is not hex',
    request: (key) => json(key, '/v1/topics', 'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a produce body shorter than its Content-Length (hot route)',
    request: (key) => json(key, '/v1/topics/t/records', 'Content-Length: 100\r\n\r\n{"records"'),
    halfClose: true,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a gzip produce body shorter than its Content-Length (general pipeline)',
    request: (key) =>
      json(key, '/v1/topics/t/records', 'Content-Encoding: gzip\r\nContent-Length: 100\r\n\r\nxx'),
    halfClose: true,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a body shorter than its Content-Length (general pipeline)',
    request: (key) => json(key, '/v1/topics', 'Content-Length: 100\r\n\r\n{"name":"x'),
    halfClose: true,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'a chunked body ended before its last chunk',
    request: (key) =>
      json(key, '/v1/topics/t/records', 'Transfer-Encoding: chunked\r\n\r\n5\r\n{"rec'),
    halfClose: true,
    status: 400,
    code: 'INVALID_REQUEST',
  },
];

describe('what the HTTP parser refuses', () => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('postgres');
    key = await t.tenant('parser');
    expect((await t.api.post('/v1/topics', { token: key, body: { name: 't' } })).status).toBe(201);
  }, 60_000);
  afterAll(() => t.cleanup());

  test.each(CASES)('$name -> $status $code, once', async (c) => {
    const responses = await exchange(t.node.port, c.request(key), c.halfClose === true);
    expect(responses).toHaveLength(1);
    const [response] = responses as [RawResponse];
    expect(response.status).toBe(c.status);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.headers.connection).toBe('close');
    const problem = JSON.parse(response.body) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: c.status, code: c.code, retriable: false });
    expect(problem.requestId).toBe(response.headers['x-request-id']);
  });

  test('nothing was written by the bodies cut short', async () => {
    const topic = await t.api.get('/v1/topics/t', { token: key });
    expect(topic.body.partitions[0].highWatermark).toBe(0);
    expect((await t.api.get('/v1/topics/x', { token: key })).status).toBe(404);
  });

  test('a request answered before its body was read, then cut short, keeps its one answer', async () => {
    const request =
      'POST /v1/topics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{"name"';
    const responses = await exchange(t.node.port, request, true);
    expect(responses.map((r) => [r.status, JSON.parse(r.body).code])).toEqual([
      [401, 'UNAUTHENTICATED'],
    ]);
  });

  test('a malformed request after an answered one on the same connection is answered too', async () => {
    const good = `GET /v1/topics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`;
    const bad = 'GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Bad: \x7f\r\n\r\n';
    const responses = await exchange(t.node.port, good + bad, false);
    expect(responses.map((r) => r.status)).toEqual([200, 400]);
    expect(JSON.parse(responses[1]!.body).code).toBe('INVALID_REQUEST');
  });

  test('a client that half-closes once its request is sent still reads the answer', async () => {
    const record = '{"records":[{"value":"half"}]}';
    const produced = await exchange(
      t.node.port,
      json(key, '/v1/topics/t/records', `Content-Length: ${record.length}\r\n\r\n${record}`),
      true,
    );
    expect(produced.map((r) => r.status)).toEqual([200]);
    const topic = '{"name":"half"}';
    const created = await exchange(
      t.node.port,
      json(key, '/v1/topics', `Content-Length: ${topic.length}\r\n\r\n${topic}`),
      true,
    );
    expect(created.map((r) => r.status)).toEqual([201]);
  });

  test('a parked long-poll of a client that half-closes answers at once, and is read', async () => {
    const hw = (await t.api.get('/v1/topics/t', { token: key })).body.partitions[0].highWatermark;
    const poll =
      `GET /v1/topics/t/partitions/0/records?offset=${hw}&maxWaitMs=30000 HTTP/1.1\r\n` +
      `Host: x\r\nAuthorization: Bearer ${key}\r\n\r\n`;
    const responses = await exchange(t.node.port, poll, true);
    expect(responses.map((r) => [r.status, JSON.parse(r.body).records])).toEqual([[200, []]]);
    // Parked until its 30 s, it would fail on this test's timeout: the end of input freed it.
  }, 10_000);

  test('bytes after a request that said Connection: close leave it its one answer', async () => {
    const topic = '{"name":"closing"}';
    const request = json(
      key,
      '/v1/topics',
      `Connection: close\r\nContent-Length: ${topic.length}\r\n\r\n${topic}NOT A REQUEST\r\n\r\n`,
    );
    for (const halfClose of [false, true]) {
      const responses = await exchange(t.node.port, request, halfClose);
      expect(responses.map((r) => r.status)).toEqual([halfClose ? 409 : 201]);
    }
  });

  test('an HTTP client sending oversized headers reads the 431 problem', async () => {
    const reply = await t.api.get('/v1/topics', {
      token: key,
      headers: { 'x-big': 'a'.repeat(64 * 1024) },
    });
    expect([reply.status, reply.body.code]).toEqual([431, 'REQUEST_HEADER_FIELDS_TOO_LARGE']);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
  });
});
