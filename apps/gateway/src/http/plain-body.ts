// Reading a request body straight from node:http, for the hot routes: bounded while it streams
// (a Content-Length over the bound is refused before a byte is read), plain bodies only.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { BrokerError } from '@tributary/common';

/** How long a connection refused in mid-body keeps draining what the client still sends. */
export const LINGER_MS = 2_000;

export interface MediaType {
  /** Lower-cased type/subtype, without parameters; '' when there is no Content-Type. */
  type: string;
  /** The charset parameter, lower-cased, when given. */
  charset: string | undefined;
}

export function mediaType(req: IncomingMessage): MediaType {
  const header = req.headers['content-type'];
  if (header === undefined) return { type: '', charset: undefined };
  if (header === 'application/json') return { type: header, charset: undefined };
  const parts = header.split(';');
  const type = (parts[0] as string).trim().toLowerCase();
  let charset: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const [name, value] = (parts[i] as string).split('=');
    if (name?.trim().toLowerCase() === 'charset' && value !== undefined) {
      charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    }
  }
  return { type, charset };
}

/**
 * Whether a body can be read here as plain UTF-8 bytes: no Content-Encoding (compressed bodies
 * take the general pipeline, whose parsers inflate them) and no charset other than UTF-8.
 */
export function isPlainBody(req: IncomingMessage, media: MediaType): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  return media.charset === undefined || media.charset === 'utf-8' || media.charset === 'utf8';
}

/**
 * The whole body, at most `limit` bytes: past it (while streaming) `tooLarge()` is thrown and
 * the rest is not read. A body cut short by the client rejects.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: () => BrokerError,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(
        new BrokerError('INVALID_REQUEST', `the request body could not be read: ${error.message}`),
      );
    };
    const onClose = () => {
      done();
      reject(new BrokerError('INVALID_REQUEST', 'the request body ended early'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** JSON.parse, failing as the general pipeline's parser does (400 INVALID_REQUEST). */
export function parseJsonBody(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/**
 * Marks the answer `Connection: close` and makes the close a lingering one (as nginx does):
 * node:http half-closes the socket once the answer is out and would destroy it as soon as that
 * is flushed, but a socket destroyed with bytes still arriving answers them with a reset, and
 * a reset can destroy the answer before a client that is still sending has read it. So the
 * socket stays open until the client closes it, for LINGER_MS at most; what arrives meanwhile
 * is discarded by node:http (the refused request is dumped).
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  const socket = req.socket;
  res.once('finish', () => {
    // node:http's own 'finish' handler, which ran first, called socket.destroySoon(): end()
    // now, destroy() on the socket's 'finish'. Take that destroy back and run it later.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the function destroySoon registered, compared, never called
    const destroy = socket.destroy;
    if (socket.destroyed || !socket.listeners('finish').includes(destroy)) return;
    socket.removeListener('finish', destroy);
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
