// A WebSocket client for the binary frame tests: text frames parsed, binary frames decoded
// with the decoder docs/API.md shows (test/support/records-frame-decoder.ts).
import { type WebSocket } from 'ws';
import { type DecodedFrame, documentedDecoder } from '../../../test/support/records-frame-decoder';

const decode = documentedDecoder();
const b64 = (bytes: Uint8Array | null) =>
  bytes === null ? null : Buffer.from(bytes).toString('base64');
export const utf8 = (bytes: Uint8Array | null) =>
  bytes === null ? null : Buffer.from(bytes).toString('utf8');

/** A decoded frame's records as a JSON subscription with keyFormat and valueFormat binary has them. */
export function asJson(frame: DecodedFrame) {
  return frame.records.map((r) => ({
    partition: frame.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: b64(r.key),
    value: b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: utf8(h.value) })),
  }));
}

/** A connection that keeps text frames (parsed) and binary frames (decoded) apart. */
export class Client {
  readonly text: any[] = [];
  readonly binary: DecodedFrame[] = [];
  private wakers: (() => void)[] = [];
  private subscribes = 0;
  /** A frame that did not decode: every wait fails with it. */
  private failure: Error | undefined;
  readonly closed: Promise<number>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      try {
        if (isBinary) this.binary.push(decode(data));
        else this.text.push(JSON.parse(data.toString('utf8')));
      } catch (error) {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      }
      for (const wake of this.wakers.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Waits, frame by frame, until `ready` answers something. */
  async until<T>(ready: () => T | undefined): Promise<T> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const value = ready();
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  /** The next text frame with this op (and id or subscription), taken off the queue. */
  op(op: string, of: { id?: unknown; subscription?: string } = {}): Promise<any> {
    return this.until(() => {
      const at = this.text.findIndex(
        (f) =>
          f.op === op &&
          (of.id === undefined || f.id === of.id) &&
          (of.subscription === undefined || f.subscription === of.subscription),
      );
      return at < 0 ? undefined : this.text.splice(at, 1)[0];
    });
  }

  /** Binary frames of a subscription, taken off the queue once they hold `count` records. */
  frames(subscription: string, count: number): Promise<DecodedFrame[]> {
    return this.until(() => {
      const mine = this.binary.filter((f) => f.subscription === subscription);
      if (mine.reduce((n, f) => n + f.records.length, 0) < count) return undefined;
      const others = this.binary.filter((f) => !mine.includes(f));
      this.binary.splice(0, this.binary.length, ...others);
      return mine;
    });
  }

  /** JSON records of a subscription until `count` have arrived. */
  async records(subscription: string, count: number): Promise<any[]> {
    const out: any[] = [];
    while (out.length < count) out.push(...(await this.op('records', { subscription })).records);
    return out;
  }

  async subscribe(frame: object): Promise<string> {
    const id = `sub-${++this.subscribes}`;
    this.send({ op: 'subscribe', id, ...frame });
    return (await this.op('subscribed', { id })).subscription as string;
  }

  async unsubscribe(subscription: string): Promise<void> {
    this.send({ op: 'unsubscribe', id: `u-${subscription}`, subscription });
    await this.op('unsubscribed', { id: `u-${subscription}` });
  }

  /** A round trip through the server: whatever it had to push before now has arrived. */
  async barrier(): Promise<void> {
    this.send({ op: 'produce', id: 'barrier', topic: 'other', records: [{ value: 0 }] });
    await this.op('ack', { id: 'barrier' });
  }
}
