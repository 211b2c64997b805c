// Whether Tributary's WebSocket endpoint (GET /v1/ws, API.md) can be benchmarked yet. Until the
// endpoint exists — and until the WebSocket drivers of catch-up-ws.ts and e2e-latency.ts are
// written — the WebSocket rows are reported as skipped with this reason, never as zero.
import { errorText } from '../peers/peer';
import { type BenchContext } from './scenario';

/** undefined when the endpoint answers; otherwise why the WebSocket rows are skipped. */
export async function wsEndpointMissing(ctx: BenchContext): Promise<string | undefined> {
  try {
    // A plain GET, no upgrade: a WebSocket route refuses it (400/426), a missing one is a 404.
    const status = await ctx.node.statusOf('/v1/ws');
    return status === 404
      ? 'the WebSocket endpoint /v1/ws does not exist yet (GET /v1/ws answers 404)'
      : undefined;
  } catch (error) {
    return `GET /v1/ws failed: ${errorText(error)}`;
  }
}
