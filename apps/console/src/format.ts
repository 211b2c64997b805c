// How numbers, times and record fields are shown.
import type { FetchedRecord, Header } from '@tributary/client';

const COUNT = new Intl.NumberFormat('en');

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || n < 0 ? '—' : COUNT.format(n);
}

/** A local time to the millisecond: 2025-11-21 08:00:00.123. */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3)
  );
}

/** A key: a string as it is, bytes that were not text as base64. */
export function formatKey(key: unknown, binary: boolean): string {
  if (key === null) return '';
  if (binary && typeof key === 'string') return textOfBase64(key);
  return typeof key === 'string' ? key : JSON.stringify(key);
}

/** A key or value: JSON as JSON, bytes that were not JSON as their text (or base64). */
export function formatField(value: unknown, binary: boolean): string {
  if (value === null) return 'null';
  if (binary && typeof value === 'string') return textOfBase64(value);
  return JSON.stringify(value);
}

export function formatHeaders(headers: readonly Header[]): string {
  return headers.map((h) => `${h.key}=${h.value ?? 'null'}`).join(', ');
}

/** One line of searchable text per record, for the tail's filter. */
export function recordText(record: FetchedRecord): string {
  return [
    formatKey(record.key, record.keyFormat === 'binary'),
    formatField(record.value, record.valueFormat === 'binary'),
    formatHeaders(record.headers),
  ]
    .join('\n')
    .toLowerCase();
}

function textOfBase64(base64: string): string {
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `base64:${base64}`;
  }
}
