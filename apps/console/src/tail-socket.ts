// A live tail over the node's WebSocket: a single-use ticket (the key never goes in the URL),
// then one subscription to a topic's partitions from where the user chose, with credit. The
// server pushes only while credit remains; the tail grants more as records arrive, in windows,
// and grants none while paused, so a paused tail holds at most one window.
//
// Not the client's WsConsumer, which is made for consuming rather than watching: it subscribes
// one partition per subscription (64 at most on a connection, where a topic may have
// thousands), resolves the start into offsets over HTTP (a call per partition) before it
// connects, and gives credit back only when its handler returns, so a pause would have to hold
// the handler, and the records pushed meanwhile would wait inside it, unseen and uncounted.
// What the tail shares with it is the client: the ticket call, the record type, the start.
import type { FetchedRecord, TributaryClient, WsStart } from '@tributary/client';
import { describeError } from './ui';

/** Records the server may push beyond those the tail has seen. */
export const CREDIT_WINDOW = 200;

/** Where a live tail starts: the latest or earliest offset, an offset, or a time. */
export type StartAt = Exclude<WsStart, { positions: Record<number, number> }>;

export type TailState = 'connecting' | 'live' | 'closed';

export interface TailOptions {
  topic: string;
  /** Absent: every partition. */
  partitions?: number[];
  from: StartAt;
}

export interface TailListener {
  records(records: FetchedRecord[]): void;
  state(state: TailState, detail?: string): void;
}

interface Frame {
  op?: string;
  id?: unknown;
  subscription?: string;
  records?: FetchedRecord[];
  problem?: { code?: string; detail?: string };
}

export class TailSocket {
  private socket: WebSocket | undefined;
  private subscription: string | undefined;
  /** Records granted and not yet received. */
  private credit = 0;
  private paused = false;
  /** Stopped by the user or ended by the node: nothing more is reported. */
  private ended = false;

  constructor(
    private readonly client: TributaryClient,
    private readonly options: TailOptions,
    private readonly listener: TailListener,
  ) {}

  async open(): Promise<void> {
    this.listener.state('connecting');
    let ticket: string;
    try {
      ({ ticket } = await this.client.createWsTicket());
    } catch (error) {
      this.end(`no ticket: ${describeError(error)}`);
      return;
    }
    if (this.ended) return;
    const socket = new WebSocket(this.client.http.url('/v1/ws', { ticket }).replace(/^http/, 'ws'));
    this.socket = socket;
    socket.onopen = () => this.subscribe();
    socket.onmessage = (event) => this.onFrame(String(event.data));
    socket.onclose = (event) =>
      this.end(
        event.code === 1000
          ? 'the node closed the connection'
          : `the connection closed (${event.code}${event.reason === '' ? '' : `: ${event.reason}`})`,
      );
  }

  /** Grants no more credit: pushes stop once what was granted has arrived. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.topUp();
  }

  close(): void {
    this.ended = true;
    this.socket?.close(1000, 'tail stopped');
  }

  private subscribe(): void {
    this.credit = CREDIT_WINDOW;
    this.send({
      op: 'subscribe',
      id: 'tail',
      topic: this.options.topic,
      ...(this.options.partitions === undefined ? {} : { partitions: this.options.partitions }),
      from: this.options.from,
      credit: CREDIT_WINDOW,
    });
  }

  private onFrame(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    switch (frame.op) {
      case 'subscribed':
        this.subscription = frame.subscription;
        this.listener.state('live');
        return;
      case 'records': {
        const records = frame.records ?? [];
        this.credit -= records.length;
        this.listener.records(records);
        this.topUp();
        return;
      }
      case 'error': {
        const problem = frame.problem ?? {};
        const detail = `${problem.code ?? 'ERROR'}: ${problem.detail ?? 'the node refused'}`;
        // A refused subscribe (or a subscription that failed) leaves nothing to tail.
        this.end(detail);
        this.socket?.close(1000, 'subscription failed');
        return;
      }
    }
  }

  /** Credit back up to the window once half of it has been used. */
  private topUp(): void {
    if (this.paused || this.subscription === undefined || this.credit > CREDIT_WINDOW / 2) return;
    const records = CREDIT_WINDOW - this.credit;
    this.credit += records;
    this.send({ op: 'credit', subscription: this.subscription, records });
  }

  private send(frame: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private end(detail: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener.state('closed', detail);
  }
}
