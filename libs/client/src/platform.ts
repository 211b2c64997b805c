// The little of WebSocket and EventSource the client uses, as structural types: browsers'
// globals fit them, and so do Node's `ws` package (WebSocket) and undici (EventSource). The
// client never imports either; the caller passes the constructor, or a browser's global is used.

export interface MessageEventLike {
  data: unknown;
}

export interface CloseEventLike {
  code: number;
  reason: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: MessageEventLike) => void) | null;
  onclose: ((event: CloseEventLike) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Loosely typed, so that `ws`'s class and a browser's both fit; used as a WebSocketLike. */
export type WebSocketConstructor = new (url: string) => object;

export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: MessageEventLike & { lastEventId?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: MessageEventLike) => void): void;
  close(): void;
}

/** Loosely typed, so that undici's class and a browser's both fit; used as an EventSourceLike. */
export type EventSourceConstructor = new (url: string) => object;

/** WebSocket's OPEN readyState. */
export const WS_OPEN = 1;

/** A global constructor by name (WebSocket, EventSource), when the platform has one. */
export function globalConstructor<T>(name: 'WebSocket' | 'EventSource'): T | undefined {
  return (globalThis as Record<string, unknown>)[name] as T | undefined;
}

/** A random id: crypto.randomUUID where there is one (Node 20, secure browser pages). */
export function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  let id = '';
  for (let i = 0; i < 32; i++) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

/** Bytes of a string in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte code point.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
