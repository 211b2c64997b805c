// The text/event-stream framing of one response (WHATWG HTML, "Server-sent events"): blocks of
// `field: value` lines ended by a blank line. Each batch of events goes out as one write, so
// it is flushed as a unit; a write the socket cannot take yet makes the reader wait for
// 'drain' (at most one batch is buffered per connection). A comment line keeps idle
// connections open through proxies that close silent ones.
import { type Response } from 'express';
import { type FetchedRecordJson } from '../records/record-codec';
import { recordEventId } from './event-cursor';

/** A comment is sent when nothing else was for this long. */
export const KEEPALIVE_MS = 15_000;

export class SseWriter {
  private keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly res: Response) {}

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Sends the status and headers; from here on errors travel as `event: error`. */
  start(): void {
    this.res.status(200);
    this.res.setHeader('Content-Type', 'text/event-stream');
    this.res.setHeader('Cache-Control', 'no-cache');
    // nginx buffers proxied responses unless told not to.
    this.res.setHeader('X-Accel-Buffering', 'no');
    // A stream is the connection's only use: once it ends the socket closes, rather than
    // idling as keep-alive (which would hold a draining node open until its drain timeout).
    this.res.setHeader('Connection', 'close');
    this.res.flushHeaders();
    // One timer per connection, pushed back by every write.
    this.keepalive = setTimeout(() => this.sendKeepalive(), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /**
   * Record events, then (when given) a block with only an id: the cursor that Last-Event-ID
   * resumes from (see event-cursor.ts). Returns false when the socket buffer is full.
   */
  records(records: readonly FetchedRecordJson[], cursor?: string): boolean {
    let chunk = '';
    for (const record of records) {
      // JSON.stringify escapes line breaks inside strings, so the data is one line.
      chunk += `id: ${recordEventId(record.partition, record.offset)}\ndata: ${JSON.stringify(record)}\n\n`;
    }
    if (cursor !== undefined) chunk += `id: ${cursor}\n\n`;
    return this.write(chunk);
  }

  /** A named event without an id (so it leaves the client's last event id alone). */
  event(name: string, data: unknown): boolean {
    return this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Resolves when the socket can take more, or the stream is over. */
  drained(signal: AbortSignal): Promise<void> {
    const res = this.res;
    if (!res.writableNeedDrain || this.closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  end(): void {
    clearTimeout(this.keepalive);
    if (!this.closed) this.res.end();
  }

  private write(chunk: string): boolean {
    if (this.closed) return true;
    this.keepalive?.refresh();
    return this.res.write(chunk);
  }

  private sendKeepalive(): void {
    if (this.closed) return;
    // A connection waiting for 'drain' is not idle: data is already on its way.
    if (this.res.writableNeedDrain) this.keepalive?.refresh();
    else this.write(': keepalive\n\n');
  }
}
