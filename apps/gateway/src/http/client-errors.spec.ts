import * as http from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import pino from 'pino';
import { answerClientErrors, clientProblem } from './client-errors';

/** Sends `bytes` on a fresh connection and collects everything until the server closes it. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      socket.write(bytes),
    );
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      socket.destroy();
      resolve(text);
    });
    socket.on('error', reject);
  });
}

describe('client errors', () => {
  test.each([
    ['HPE_HEADER_OVERFLOW', 'REQUEST_HEADER_FIELDS_TOO_LARGE', 431],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'REQUEST_TOO_LARGE', 413],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_EOF_STATE', 'INVALID_REQUEST', 400],
    ['HPE_INVALID_METHOD', 'INVALID_REQUEST', 400],
    ['HPE_INVALID_HEADER_TOKEN', 'INVALID_REQUEST', 400],
  ])('%s is %s', (code, expected, status) => {
    const problem = clientProblem(Object.assign(new Error('parse error'), { code }));
    expect([problem?.code, problem?.status]).toEqual([expected, status]);
  });

  test.each(['ECONNRESET', 'EPIPE', 'HPE_CLOSED_CONNECTION', undefined])(
    '%s: nothing to answer (the connection is gone, or the client said it was done)',
    (code) => {
      expect(clientProblem(Object.assign(new Error('gone'), { code }))).toBeUndefined();
    },
  );

  test('a request not received in time is answered 408 problem+json, retriable', async () => {
    const server = http.createServer(
      { requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 20 },
      (_req, res) => res.end('ok'),
    );
    answerClientErrors(server, pino({ level: 'silent' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // Headers begun and never finished: the server gives up on them.
      const text = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
      const [head, body] = text.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 408 /);
      expect(head).toContain('Content-Type: application/problem+json; charset=utf-8');
      expect(JSON.parse(body!)).toMatchObject({ code: 'REQUEST_TIMEOUT', retriable: true });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
