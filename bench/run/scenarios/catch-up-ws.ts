// (c), WebSocket part: the stored records read back over GET /v1/ws instead of REST fetch — one
// connection, one subscription to every partition from "earliest" with credit (docs/API.md): a
// window of SHAPE.wsCreditWindow records granted with the subscription and topped up by what
// arrived each time half of it has (drivers/tributary-ws.ts). Measured as catch-up.ts measures
// the REST read: one warm-up read, then the profile's runs, each a whole read. In JSON frames
// (the default), and in binary records frames decoded by the decoder docs/API.md shows.
import { num } from '../../common/format';
import { SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { type BenchContext, measureRow, nodeServer, onLoadCore, skipped } from './scenario';
import { wsEndpointMissing } from './ws-status';

/** A whole read taking longer than this has gone wrong; the driver stops it there. */
const READ_MS_MAX = 5 * 60_000;

export const WS_CATCH_UP_WORKLOAD =
  `GET /v1/ws, one connection, one subscription to every partition from earliest, ` +
  `credit ${num(SHAPE.wsCreditWindow)} topped up by ${num(SHAPE.wsCreditWindow / 2)} per ${num(SHAPE.wsCreditWindow / 2)} received`;

export async function tributaryWsCatchUpRow(
  ctx: BenchContext,
  identity: RowIdentity,
  topic: string,
  expectedRecords: number,
  format: 'json' | 'binary',
): Promise<Row> {
  const missing = await wsEndpointMissing(ctx);
  if (missing !== undefined) return skipped(identity, missing);
  return measureRow(ctx, identity, () =>
    onLoadCore(
      ctx,
      {
        job: {
          driver: 'tributary-ws-catch-up',
          origin: ctx.node.origin,
          key: ctx.node.key,
          topic,
          format,
          creditWindow: SHAPE.wsCreditWindow,
          messageBytes: identity.messageBytes,
          expectedRecords,
        },
        // The driver reads each duration as the longest a read may take.
        warmupMs: READ_MS_MAX,
        durationMs: READ_MS_MAX,
        runs: ctx.profile.runs,
      },
      nodeServer(ctx),
    ),
  );
}
