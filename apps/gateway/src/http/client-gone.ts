// A signal that aborts when the client goes away before its answer was written, so a parked
// long-poll or an open stream is freed at once. Answered requests close too; those abort
// nothing (an abort builds a DOMException with a stack, not free on every request).
//
// Connections are half-open (see answerClientErrors), so a client that closes its side does
// not close the connection: its end of input is what says it is leaving. A parked wait then
// ends at once, and its answer still goes out to a client that reads on.
import { type ServerResponse } from 'node:http';

export function clientGone(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  const socket = res.socket;
  if (res.destroyed || socket === null || socket.readableEnded) {
    abort.abort();
    return abort.signal;
  }
  const leaving = () => abort.abort();
  socket.once('end', leaving);
  res.once('close', () => {
    // A kept-alive connection serves other requests: the listener goes with this one.
    socket.off('end', leaving);
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}
