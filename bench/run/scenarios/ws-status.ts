// Whether Tributary's WebSocket endpoint (GET /v1/ws, docs/API.md) answers on the node under test:
// when it does not (a build without it), the WebSocket rows of (c), (d) and (h) are reported as
// skipped with this reason, never as zero. The probe is a real upgrade with the bench's key —
// a plain GET is no test: the endpoint only exists on the upgrade, and Express answers a plain
// GET /v1/ws with 404 whether or not it is there.
import WebSocket from 'ws';
import { errorText } from '../peers/peer';
import { type BenchContext } from './scenario';

const PROBE_TIMEOUT_MS = 5_000;

/** undefined when the upgrade succeeds; otherwise why the WebSocket rows are skipped. */
export function wsEndpointMissing(ctx: BenchContext): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${ctx.node.origin.replace(/^http/, 'ws')}/v1/ws`, {
      headers: { authorization: `Bearer ${ctx.node.key}` },
      perMessageDeflate: false,
      handshakeTimeout: PROBE_TIMEOUT_MS,
    });
    socket.on('error', (error) => resolve(`the upgrade to GET /v1/ws failed: ${errorText(error)}`));
    socket.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      resolve(
        response.statusCode === 404
          ? 'the WebSocket endpoint /v1/ws does not exist (the upgrade answers 404)'
          : `the upgrade to GET /v1/ws was refused with ${response.statusCode}`,
      );
    });
    socket.once('open', () => {
      socket.close(1000, 'probe');
      resolve(undefined);
    });
  });
}
