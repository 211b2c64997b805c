// Small clients of the live routes for cross-process tests: a WebSocket that queues the frames
// it receives, and a Server-Sent Events reader. Every wait is for a frame or an event, bounded
// by a timeout that names what did not arrive.
import { WebSocket } from 'ws';

export const LIVE_WAIT_MS = 10_000;

/** Settles as `promise` does, or fails after `ms` naming `what`. */
export function within<T>(promise: Promise<T>, what: string, ms = LIVE_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The HTTP answer that refused a WebSocket upgrade. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: unknown,
  ) {
    super(`the upgrade was refused with ${status}`);
  }
}

export interface Frame {
  op: string;
  [field: string]: any;
}

export class WsClient {
  private readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    // Errors after the upgrade surface as closes; without a listener they would throw.
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString('utf8')) as Frame;
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter === undefined) {
        this.frames.push(frame);
        return;
      }
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(frame);
    });
  }

  /** Opens a connection; rejects with an UpgradeRefused when the upgrade is refused. */
  static connect(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const socket = new WebSocket(url, { headers });
    const opened = new Promise<WsClient>((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          reject(new UpgradeRefused(response.statusCode ?? 0, response.headers, JSON.parse(body))),
        );
      });
    });
    return within(opened, 'WebSocket upgrade');
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** The next frame matching, received already or still to come. */
  next(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    const queued = this.frames.findIndex(match);
    if (queued >= 0) return Promise.resolve(this.frames.splice(queued, 1)[0]!);
    return within(new Promise((resolve) => this.waiters.push({ match, resolve })), what);
  }

  op(op: string): Promise<Frame> {
    return this.next((f) => f.op === op, `"${op}" frame`);
  }

  close(): void {
    this.socket.terminate();
  }
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: any;
}

export class SseReader {
  private readonly events: SseEvent[] = [];
  private waiters: (() => void)[] = [];
  private ended = false;

  constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    // A refusal is an ordinary answer, for the test to read itself.
    if (response.status === 200) void this.pump();
    else this.ended = true;
  }

  /** Opens the stream; an answer other than 200 is left unread, in `response`. */
  static async open(url: string, token: string): Promise<SseReader> {
    const abort = new AbortController();
    const response = await within(
      fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal }),
      'event stream answer',
    );
    return new SseReader(response, abort);
  }

  /** The first event named `name`, received already or still to come. */
  async next(name: string): Promise<SseEvent> {
    const found = () => this.events.find((e) => e.event === name);
    const wait = async () => {
      while (found() === undefined) {
        if (this.ended) throw new Error(`the stream ended without an "${name}" event`);
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      return found()!;
    };
    return within(wait(), `"${name}" event`);
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(): Promise<void> {
    const reader = this.response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.take(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  /** One block of `field: value` lines; blocks without data (cursors, comments) are skipped. */
  private take(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const value = line.slice(colon + 1).replace(/^ /, '');
      const field = line.slice(0, colon);
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) this.events.push({ event, id, data: JSON.parse(data.join('\n')) });
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
