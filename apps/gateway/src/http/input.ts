// Reading untrusted input: query parameters, path parameters and JSON bodies. Each reader
// names the field in its error, so a client learns exactly what to fix.
import { BrokerError, type ErrorCode } from '@tributary/common';

export type JsonObject = Record<string, unknown>;

export function invalid(field: string, message: string, code: ErrorCode = 'INVALID_REQUEST') {
  return new BrokerError(code, `${field}: ${message}`);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object body; an absent body counts as `{}` when allowed. */
export function objectBody(body: unknown, allowEmpty = false): JsonObject {
  if (body === undefined && allowEmpty) return {};
  if (!isObject(body)) throw invalid('body', 'must be a JSON object');
  return body;
}

/** Refuses fields the route does not know, so typos do not pass silently. */
export function onlyFields(body: JsonObject, allowed: readonly string[], where = 'body'): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) {
      throw invalid(
        where,
        `unknown field ${JSON.stringify(field)} (allowed: ${allowed.join(', ')})`,
      );
    }
  }
}

/** A non-negative safe integer given as a number or a decimal string (offsets, timestamps). */
export function parseSafeInteger(
  value: unknown,
  field: string,
  bounds: { min?: number; max?: number; code?: ErrorCode } = {},
): number {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, code = 'INVALID_REQUEST' } = bounds;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) n = Number(value);
  else throw invalid(field, 'must be an integer', code);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`, code);
  }
  return n;
}

/** An optional integer query parameter with a default. */
export function queryInteger(
  query: Record<string, unknown>,
  field: string,
  fallback: number,
  bounds: { min: number; max: number; code?: ErrorCode },
): number {
  const raw = query[field];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string') throw invalid(field, 'must be given once');
  return parseSafeInteger(raw, field, bounds);
}

export function queryString(query: Record<string, unknown>, field: string): string | undefined {
  const raw = query[field];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw invalid(field, 'must be given once');
  return raw;
}

export function oneOf<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
  code: ErrorCode = 'INVALID_REQUEST',
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, `must be one of ${allowed.join(', ')}`, code);
  }
  return value as T;
}

/** The highest partition number: Kafka's partitions are 32-bit signed integers. */
export const PARTITION_MAX = 2 ** 31 - 1;

/** A partition number from the path. */
export function pathPartition(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > PARTITION_MAX) {
    throw new BrokerError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `partition ${JSON.stringify(raw)} does not exist`,
    );
  }
  return Number(raw);
}
