// Talking to a Tributary node from a bench: the operator and topic API (docs/API.md), produce
// bodies of a given record size, and reading partitions from offset 0 to the high watermark.
import { Pool } from 'undici';

/** One JSON request; throws with the status and body when the answer is not 2xx. */
export async function api(
  origin: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
): Promise<any> {
  const response = await fetch(origin + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** A JSON string of exactly `valueBytes` bytes, quotes included: the bytes the log stores. */
export function jsonStringValue(valueBytes: number, fill = 'x'): string {
  return JSON.stringify(fill.repeat(Math.max(0, valueBytes - 2)));
}

/** A produce body of `count` keyless records whose values are `valueBytes`-byte JSON strings. */
export function recordsBody(count: number, valueBytes: number): string {
  const value = jsonStringValue(valueBytes);
  return `{"records":[${Array.from({ length: count }, () => `{"value":${value}}`).join(',')}]}`;
}

export interface FetchAllResult {
  records: number;
  /** Bytes of the JSON answers. */
  bytes: number;
  seconds: number;
}

/**
 * Reads partitions 0..partitions-1 of `topic` from offset 0 up to the high watermark, all in
 * parallel (one connection each), at most `maxRecords` and `maxBytes` per fetch.
 */
export async function fetchAll(
  origin: string,
  key: string,
  topic: string,
  partitions: number,
  maxRecords = 10_000,
  maxBytes = 4 * 1024 * 1024,
): Promise<FetchAllResult> {
  const pool = new Pool(origin, { connections: partitions });
  const startedMs = performance.now();
  let records = 0;
  let bytes = 0;
  try {
    await Promise.all(
      Array.from({ length: partitions }, async (_, partition) => {
        let offset = 0;
        for (;;) {
          const response = await pool.request({
            method: 'GET',
            path: `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxRecords=${maxRecords}&maxBytes=${maxBytes}`,
            headers: { authorization: `Bearer ${key}` },
          });
          const text = await response.body.text();
          if (response.statusCode !== 200) throw new Error(`fetch: ${response.statusCode} ${text}`);
          bytes += text.length;
          const page = JSON.parse(text) as {
            records: unknown[];
            nextOffset: number;
            highWatermark: number;
          };
          records += page.records.length;
          offset = page.nextOffset;
          if (offset >= page.highWatermark) return;
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return { records, bytes, seconds: (performance.now() - startedMs) / 1000 };
}
