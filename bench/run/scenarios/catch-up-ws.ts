// (c), WebSocket part: the stored records read back over GET /v1/ws (subscribe from
// "earliest" with credit, API.md) instead of REST fetch. A stub until the endpoint exists: it
// reports the row as skipped with the reason. To fill it in: a driver in drivers/ that opens
// one socket, subscribes to every partition of `topic` from earliest and counts records until
// `expectedRecords`, replenishing credit as it goes; then measure it here as catch-up.ts
// measures the REST read (same plan, same identity).
import { type Row, type RowIdentity } from '../results';
import { type BenchContext, skipped } from './scenario';
import { wsEndpointMissing } from './ws-status';

export const WS_DRIVER_MISSING =
  'the WebSocket consume driver is not written yet (bench/run/scenarios/catch-up-ws.ts)';

export async function tributaryWsCatchUpRow(
  ctx: BenchContext,
  identity: RowIdentity,
  _topic: string,
  _expectedRecords: number,
): Promise<Row> {
  const missing = await wsEndpointMissing(ctx);
  return skipped(identity, missing ?? WS_DRIVER_MISSING);
}
