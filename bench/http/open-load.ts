// An open-loop HTTP load generator, run as its own process: requests are started at a fixed
// rate whatever the server answers (as independent clients would send them), so a server that
// falls behind is seen queueing, not slowing its clients down. Latency is counted from the
// moment a request was due, so time spent waiting for a free connection counts too. Answers
// are sorted into served (2xx), shed (429/503 with Retry-After) and others; prints one JSON
// line. Requests in flight are bounded (`inFlightMax`): past it, a due request is counted as
// dropped by the client, not started. A second clock starts when the request is written to its
// connection (undici's sendHeaders diagnostic): the server's own queueing, without the time a
// request waited in the client for a free connection.
import { subscribe } from 'node:diagnostics_channel';
import { Pool } from 'undici';
import { Histogram } from '../common/histogram';
import { type LoadRequest } from './load';

export interface OpenLoadSpec extends LoadRequest {
  ratePerSecond: number;
  durationMs: number;
  inFlightMax: number;
}

export interface OpenLoadResult {
  due: number;
  served: number;
  shed: number;
  /** Shed answers that carried Retry-After. */
  shedWithRetryAfter: number;
  other: number;
  /** Due requests the client could not start (its own in-flight bound). */
  clientDropped: number;
  seconds: number;
  servedMs: { p50: number; p99: number; max: number };
  shedMs: { p50: number; p99: number; max: number };
  /** From the request's writing to its answer. */
  servedSinceSentMs: { p50: number; p99: number; max: number };
}

const TICK_MS = 2;

function percentiles(h: Histogram): { p50: number; p99: number; max: number } {
  if (h.count === 0) return { p50: NaN, p99: NaN, max: NaN };
  return { p50: h.percentileMs(50), p99: h.percentileMs(99), max: h.maxMs };
}

export async function openLoad(spec: OpenLoadSpec): Promise<OpenLoadResult> {
  const pool = new Pool(spec.origin, { connections: spec.connections, pipelining: 1 });
  const served = new Histogram();
  const shed = new Histogram();
  const servedSinceSent = new Histogram();
  const sentAt = new Map<string, number>();
  subscribe('undici:client:sendHeaders', (message) => {
    const headers = (message as { request: { headers: unknown } }).request.headers;
    const list = Array.isArray(headers) ? headers.map(String) : String(headers).split(',');
    const at = list.indexOf('x-request-id');
    if (at >= 0 && list[at + 1] !== undefined) sentAt.set(list[at + 1]!, performance.now());
  });
  let sequence = 0;
  const counts = { due: 0, shedWithRetryAfter: 0, other: 0, clientDropped: 0 };
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const send = (dueMs: number) => {
    inFlight++;
    const id = `open-${sequence++}`;
    const request = pool
      .request({
        method: spec.method,
        path: spec.path,
        headers: { ...spec.headers, 'x-request-id': id },
        ...(spec.body === undefined ? {} : { body: spec.body }),
      })
      .then(async (response) => {
        await response.body.dump();
        const nowMs = performance.now();
        const ms = nowMs - dueMs;
        const sent = sentAt.get(id);
        sentAt.delete(id);
        if (response.statusCode >= 200 && response.statusCode < 300) {
          served.recordMs(ms);
          if (sent !== undefined) servedSinceSent.recordMs(nowMs - sent);
        } else if (response.statusCode === 429 || response.statusCode === 503) {
          shed.recordMs(ms);
          if (response.headers['retry-after'] !== undefined) counts.shedWithRetryAfter++;
        } else counts.other++;
      })
      .catch(() => {
        counts.other++;
        sentAt.delete(id);
      })
      .finally(() => {
        inFlight--;
        pending.delete(request);
      });
    pending.add(request);
  };
  const startedMs = performance.now();
  const intervalMs = 1000 / spec.ratePerSecond;
  let nextDueMs = startedMs;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const nowMs = performance.now();
      const endMs = Math.min(nowMs, startedMs + spec.durationMs);
      for (; nextDueMs <= endMs; nextDueMs += intervalMs) {
        counts.due++;
        if (inFlight >= spec.inFlightMax) counts.clientDropped++;
        else send(nextDueMs);
      }
      if (nowMs >= startedMs + spec.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  await pool.close();
  return {
    ...counts,
    served: served.count,
    shed: shed.count,
    seconds: (performance.now() - startedMs) / 1000,
    servedMs: percentiles(served),
    shedMs: percentiles(shed),
    servedSinceSentMs: percentiles(servedSinceSent),
  };
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2]!) as OpenLoadSpec;
  openLoad(spec)
    .then((result) => process.stdout.write(JSON.stringify(result) + '\n'))
    .catch((error: unknown) => {
      process.stderr.write(String(error) + '\n');
      process.exit(1);
    });
}
