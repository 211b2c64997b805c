// What node:http's parser refuses never reaches a route: oversized headers, bytes a header may
// not hold, a malformed request line or Content-Length, bad chunked framing, a body the client
// ended early, a request not received in time. node:http's own answer is a bare status line;
// this one is problem+json like every other error, whenever the connection still allows an
// answer that cannot be mistaken for another request's.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import { type Socket } from 'node:net';
import { BrokerError } from '@tributary/common';
import { type Logger } from 'pino';
import { LINGER_MS } from './plain-body';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem';

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

/** Answers the server's client errors; call once the server's request listeners are in place. */
export function answerClientErrors(server: Server, logger: Logger): void {
  // A client may half-close once it has sent its request: node:http would then end the
  // connection at once and drop the answer on its way (the request done, the client not told).
  // Half-open, the answer in progress is written and the connection closed after it
  // (node:http's own switch, read in its socketOnEnd; its typings omit it).
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // The last request of each connection, to tell whose bytes the parser refused.
  const last = new WeakMap<Socket, Exchange>();
  const answered = new WeakSet<Socket>();
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    last.set(req.socket, { req, res });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // The parser keeps refusing what still arrives after the first error: answered once.
    if (answered.has(socket)) return;
    if (error.code === 'HPE_CLOSED_CONNECTION') return;
    const problem = clientProblem(error);
    if (problem === undefined || socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const exchange = last.get(socket);
    const answer = (requestId: string) => {
      if (socket.destroyed) return;
      logger.debug({ reqId: requestId, err: error }, 'refused by the HTTP parser');
      socket.end(rawProblem(problem, requestId));
      lingerThenDestroy(socket);
    };
    switch (whenToAnswer(exchange)) {
      case 'now':
        answer(requestIdOf(exchange) ?? randomUUID());
        return;
      case 'after':
        // Pipelined behind an answer still being written: bytes now would land inside it.
        exchange?.res.once('finish', () => answer(randomUUID()));
        exchange?.res.once('close', () => {
          if (!exchange.res.writableFinished) socket.destroy();
        });
        return;
      case 'never':
        socket.destroy();
    }
  });
}

/**
 * Whether an answer may go out: `never` when the refused bytes are the body of a request whose
 * answer has begun (another answer would be read as the next request's, or inside this one);
 * `after` the answer in progress, for a request that follows it; otherwise `now`.
 */
function whenToAnswer(exchange: Exchange | undefined): 'now' | 'after' | 'never' {
  if (exchange === undefined) return 'now';
  if (!exchange.req.complete) return exchange.res.headersSent ? 'never' : 'now';
  return exchange.res.writableFinished ? 'now' : 'after';
}

/** The request id of a request refused in mid-body (set when it began), else none yet. */
function requestIdOf(exchange: Exchange | undefined): string | undefined {
  if (exchange === undefined || exchange.req.complete) return undefined;
  const id = exchange.res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}

/** The coded error for node:http's error; undefined for a connection failure (nobody to tell). */
export function clientProblem(error: NodeJS.ErrnoException): BrokerError | undefined {
  const code = error.code ?? '';
  switch (code) {
    case 'HPE_CLOSED_CONNECTION':
      // Bytes after a request that said Connection: close: its answer is the last one.
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return new BrokerError(
        'REQUEST_HEADER_FIELDS_TOO_LARGE',
        'the request line and headers are larger than this server accepts (16 KiB); send fewer or shorter headers',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new BrokerError('REQUEST_TOO_LARGE', 'the chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new BrokerError('REQUEST_TIMEOUT', 'the request was not received in time; retry');
    case 'HPE_INVALID_EOF_STATE':
      return new BrokerError(
        'INVALID_REQUEST',
        'the request ended before its body was complete (shorter than its Content-Length or chunked framing said)',
      );
  }
  if (!code.startsWith('HPE_')) return undefined;
  const reason = (error as { reason?: unknown }).reason;
  return new BrokerError(
    'INVALID_REQUEST',
    `the request is not valid HTTP/1.1: ${typeof reason === 'string' ? reason : code}`,
  );
}

/** A whole response written straight to the socket: there is no ServerResponse to write with. */
function rawProblem(error: BrokerError, requestId: string): string {
  const body = JSON.stringify(problemOf(error, requestId));
  return (
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * The socket stays open until the client closes it, LINGER_MS at most (as closeAfterAnswer
 * does): destroyed while the client still sends, it would answer with a reset that can destroy
 * the answer before the client has read it.
 */
function lingerThenDestroy(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
