// A text/event-stream parser, as EventSource parses (WHATWG HTML, "Server-sent events"):
// lines end with CRLF, LF or CR; a blank line ends a block; `:` starts a comment; `field:
// value` lines set event, data (lines joined with \n) or id. Unlike EventSource it reports
// every block, including those with an id and no data, which EventSource keeps to itself:
// the stream's cursor blocks (see event-stream.ts) are such blocks.
import { CLIENT_DEFAULTS } from './defaults';
import { TributaryError } from './errors';

export interface SseBlock {
  /** The event type; 'message' when the block named none. */
  event: string;
  /** The data lines joined with \n; undefined when the block had none. */
  data: string | undefined;
  /** The id the block set, if it set one. */
  id: string | undefined;
  /** The last event id after this block (the stream's, kept across blocks). */
  lastEventId: string;
}

export class SseParser {
  private buffer = '';
  /** A CR ended the last chunk: an LF starting the next one belongs to it. */
  private pendingCr = false;
  private event = '';
  private data: string[] = [];
  private dataChars = 0;
  private id: string | undefined;
  lastEventId = '';

  constructor(private readonly lineCharsMax: number = CLIENT_DEFAULTS.sseLineCharsMax) {}

  /** Feeds decoded text; returns the blocks it completed. */
  push(text: string): SseBlock[] {
    const blocks: SseBlock[] = [];
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer + chunk.slice(start, i);
      this.buffer = '';
      if (c === 13) {
        if (i + 1 < chunk.length) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else this.pendingCr = true;
      }
      start = i + 1;
      const block = this.line(line);
      if (block !== undefined) blocks.push(block);
    }
    this.buffer += chunk.slice(start);
    if (this.buffer.length > this.lineCharsMax) {
      throw new TributaryError(
        'BAD_RESPONSE',
        `an event-stream line over ${this.lineCharsMax} characters`,
      );
    }
    return blocks;
  }

  private line(line: string): SseBlock | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.dataChars += value.length + 1;
        if (this.dataChars > this.lineCharsMax) {
          throw new TributaryError('BAD_RESPONSE', `an event over ${this.lineCharsMax} characters`);
        }
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      default:
        break; // retry, and unknown fields, are ignored
    }
    return undefined;
  }

  private dispatch(): SseBlock | undefined {
    const block: SseBlock = {
      event: this.event === '' ? 'message' : this.event,
      data: this.data.length === 0 ? undefined : this.data.join('\n'),
      id: this.id,
      lastEventId: this.lastEventId,
    };
    this.event = '';
    this.data = [];
    this.dataChars = 0;
    this.id = undefined;
    return block.data === undefined && block.id === undefined ? undefined : block;
  }
}
