// A bare HTTP/1.1 client over a socket, for tests that send what real clients refuse to: any
// bytes in the request line and headers, a Content-Length that lies, a body cut short. One
// request per connection; the answer is read until its Content-Length, its last chunk, or the
// end of the connection (an event stream is read up to its headers).
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent (already percent-encoded, or not). */
  target: string;
  /** Sent as latin1, one byte per character: control bytes included. */
  headers: [string, string][];
  body?: Buffer;
  /** Content-Length to declare instead of the body's; the client half-closes after sending. */
  declaredLength?: number;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function sendRaw(port: number, request: RawRequest, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let received = Buffer.alloc(0);
    const finish = (answer: RawAnswer | undefined) => {
      if (answer === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on('connect', () => {
      socket.write(serialize(request));
      if (request.declaredLength !== undefined) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish(parseAnswer(received, false));
    });
    socket.on('end', () => finish(parseAnswer(received, true) ?? incomplete(received)));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function serialize(request: RawRequest): Buffer {
  const body = request.body ?? Buffer.alloc(0);
  const length = request.declaredLength ?? (body.length > 0 ? body.length : undefined);
  const lines = [`${request.method} ${request.target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (length !== undefined) lines.push(`Content-Length: ${length}`);
  lines.push('Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** The answer once complete (or, at the end of the connection, whatever came); else undefined. */
function parseAnswer(bytes: Buffer, ended: boolean): RawAnswer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine?.split(' ')[1]);
  const rest = bytes.subarray(end + 4);
  if ((headers['content-type'] ?? '').startsWith('text/event-stream')) {
    return { status, headers, body: '' };
  }
  if (headers['transfer-encoding'] === 'chunked') {
    const body = dechunk(rest);
    return body === undefined ? undefined : { status, headers, body };
  }
  const length = headers['content-length'];
  if (length !== undefined && rest.length >= Number(length)) {
    return { status, headers, body: rest.subarray(0, Number(length)).toString('utf8') };
  }
  return ended ? { status, headers, body: rest.toString('utf8') } : undefined;
}

/** A chunked body once its last chunk has arrived. */
function dechunk(bytes: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    if (bytes.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function incomplete(bytes: Buffer): RawAnswer {
  return { status: 0, headers: {}, body: bytes.toString('latin1') };
}
