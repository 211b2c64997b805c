// A signal that aborts when the client goes away before its answer was written, so a parked
// long-poll or an open stream is freed at once. Answered requests close too; those abort
// nothing (an abort builds a DOMException with a stack, not free on every request).
import { type ServerResponse } from 'node:http';

export function clientGone(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  if (res.destroyed) abort.abort();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}
