// What the CLI writes: records in the chosen format, tables for people, JSON for scripts, all
// through a writer that waits when stdout cannot take more (a slow pipe slows the consumer
// instead of filling memory).
import { type Writable } from 'node:stream';
import { type FetchedRecord, type Header } from '@tributary/client';
import { UsageError } from './options';

export class Output {
  constructor(private readonly stream: Writable) {}

  /** Writes one line; resolves when the stream can take more. */
  async line(text: string): Promise<void> {
    if (this.stream.write(`${text}\n`)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
  }

  async json(value: unknown): Promise<void> {
    await this.line(JSON.stringify(value, null, 2));
  }

  /** Rows aligned in columns under a header. */
  async table(header: string[], rows: (string | number | null)[][]): Promise<void> {
    const cells = [header, ...rows.map((row) => row.map((c) => (c === null ? '-' : String(c))))];
    const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
    for (const row of cells) {
      await this.line(
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      );
    }
  }
}

export type RecordWithTopic = FetchedRecord & { topic: string };

/** How a record is printed: --format json, value, key, or a template. */
export type RecordFormatter = (record: RecordWithTopic) => string;

const TEMPLATE_FIELDS: Record<string, (record: RecordWithTopic) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  T: (r) => String(r.timestamp),
  k: (r) => text(r.key),
  v: (r) => text(r.value),
  h: (r) => headersText(r.headers),
};

/**
 * json: the record as one JSON line. value, key: that field as text. Anything else is a
 * template: %t topic, %p partition, %o offset, %T timestamp (ms), %k key, %v value, %h headers
 * (k=v,...), %% a percent sign; \n, \t and \\ are escapes; one newline ends each record.
 */
export function recordFormatter(format: string): RecordFormatter {
  if (format === 'json') {
    return (r) =>
      JSON.stringify({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
  }
  if (format === 'value') return (r) => text(r.value);
  if (format === 'key') return (r) => text(r.key);
  const parts: (string | ((record: RecordWithTopic) => string))[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '%' && next !== undefined && (next === '%' || next in TEMPLATE_FIELDS)) {
      if (next === '%') literal += '%';
      else {
        parts.push(literal, TEMPLATE_FIELDS[next]!);
        literal = '';
      }
      i++;
    } else if (c === '\\' && next !== undefined && 'nt\\'.includes(next)) {
      literal += next === 'n' ? '\n' : next === 't' ? '\t' : '\\';
      i++;
    } else if (c === '%') {
      throw new UsageError(`--format: %${next ?? ''} is not a field (%t %p %o %T %k %v %h %%)`);
    } else literal += c;
  }
  parts.push(literal.endsWith('\n') ? literal.slice(0, -1) : literal);
  return (record) => parts.map((part) => (typeof part === 'string' ? part : part(record))).join('');
}

/** A key or value as text: strings as they are, null as nothing, JSON values as JSON. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function headersText(headers: readonly Header[]): string {
  return headers.map((h) => `${h.key}=${h.value ?? ''}`).join(',');
}
