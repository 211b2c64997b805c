// JSON records <-> Kafka records. Keys and values travel in one of three formats: `json` (any
// JSON value, stored as its UTF-8 text), `string` (UTF-8) and `binary` (base64). Headers are
// an object of string values or a list of {key, value} pairs (for repeated keys); they come
// back as the list. Every problem names the record it is in.
import { BrokerError, isValidName, LIMITS, nameRule } from '@tributary/common';
import { type DecodedRecord, type RecordHeader, type RecordInput } from '@tributary/protocol';
import { isObject } from '../http/input';
import { nestsDeeperThan, tooDeep } from '../http/json-depth';

export const FORMATS = ['json', 'string', 'binary'] as const;
export type Format = (typeof FORMATS)[number];

export interface ProduceRecord {
  /** Explicit partition, if the record names one. */
  partition: number | undefined;
  input: RecordInput;
  /** The create time stamped into the batch. */
  timestamp: number;
}

const RECORD_FIELDS = new Set(['key', 'value', 'headers', 'partition', 'timestamp']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bad(index: number, message: string): BrokerError {
  return new BrokerError('INVALID_RECORD', `records[${index}]: ${message}`);
}

/** A key or value in its format: text stays a string (written into the batch as UTF-8). */
function encodeField(
  value: unknown,
  format: Format,
  index: number,
  field: string,
): Buffer | string | null {
  if (value === null || value === undefined) return null;
  switch (format) {
    case 'json':
      if (nestsDeeperThan(value, LIMITS.jsonDepthMax)) {
        throw tooDeep(`records[${index}]: ${field}`, 'INVALID_RECORD');
      }
      return JSON.stringify(value);
    case 'string':
      if (typeof value !== 'string')
        throw bad(index, `${field} must be a string (${field}Format string)`);
      return value;
    case 'binary':
      if (typeof value !== 'string' || !BASE64.test(value)) {
        throw bad(index, `${field} must be base64 (${field}Format binary)`);
      }
      return Buffer.from(value, 'base64');
  }
}

/** Keys are bytes: the partitioner hashes them. */
function encodeKey(value: unknown, format: Format, index: number): Buffer | null {
  const key = encodeField(value, format, index, 'key');
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function encodeHeaders(raw: unknown, index: number): RecordHeader[] {
  const pairs: [unknown, unknown][] = Array.isArray(raw)
    ? raw.map((entry: unknown) => {
        if (!isObject(entry) || Object.keys(entry).some((k) => k !== 'key' && k !== 'value')) {
          throw bad(index, 'headers given as a list must hold {"key", "value"} objects');
        }
        return [entry.key, entry.value];
      })
    : isObject(raw)
      ? Object.entries(raw)
      : (() => {
          throw bad(index, 'headers must be an object or a list of {"key", "value"}');
        })();
  if (pairs.length > LIMITS.headersPerRecordMax) {
    throw bad(index, `at most ${LIMITS.headersPerRecordMax} headers`);
  }
  return pairs.map(([key, value]) => {
    if (typeof key !== 'string') throw bad(index, 'header keys must be strings');
    if (!isValidName(key, LIMITS.headerKeyLengthMax)) {
      throw bad(index, `header key ${JSON.stringify(key)} ${nameRule(LIMITS.headerKeyLengthMax)}`);
    }
    if (value !== null && typeof value !== 'string') {
      throw bad(index, `header ${JSON.stringify(key)} must have a string or null value`);
    }
    return { key, value: value === null ? null : Buffer.from(value, 'utf8') };
  });
}

/** One record of a produce request, checked and encoded. */
export function toProduceRecord(
  raw: unknown,
  index: number,
  keyFormat: Format,
  valueFormat: Format,
  nowMs: number,
): ProduceRecord {
  if (!isObject(raw)) throw bad(index, 'must be an object');
  for (const field of Object.keys(raw)) {
    if (!RECORD_FIELDS.has(field)) throw bad(index, `unknown field ${JSON.stringify(field)}`);
  }
  if (!('value' in raw)) throw bad(index, 'value is required (null for a tombstone)');
  let partition: number | undefined;
  if (raw.partition !== undefined && raw.partition !== null) {
    if (
      typeof raw.partition !== 'number' ||
      !Number.isInteger(raw.partition) ||
      raw.partition < 0
    ) {
      throw bad(index, 'partition must be a non-negative integer');
    }
    partition = raw.partition;
  }
  let timestamp = nowMs;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const t = raw.timestamp;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
      throw bad(index, 'timestamp must be a non-negative integer of milliseconds since the epoch');
    }
    timestamp = t;
  }
  const input: RecordInput = {
    key: encodeKey(raw.key, keyFormat, index),
    value: encodeField(raw.value, valueFormat, index, 'value'),
    timestamp,
  };
  if (raw.headers !== undefined && raw.headers !== null)
    input.headers = encodeHeaders(raw.headers, index);
  return { partition, input, timestamp };
}

export interface FetchedRecordJson {
  topic?: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: { key: string; value: string | null }[];
  /** Set when a field could not be shown in the asked format and is base64 instead. */
  keyFormat?: 'binary';
  valueFormat?: 'binary';
}

function decodeField(bytes: Buffer, format: Format): { value: unknown; fellBack: boolean } {
  switch (format) {
    case 'binary':
      return { value: bytes.toString('base64'), fellBack: false };
    case 'string':
      return { value: bytes.toString('utf8'), fellBack: false };
    case 'json':
      try {
        const value: unknown = JSON.parse(bytes.toString('utf8'));
        if (!tooDeepToShow(value, bytes.length)) return { value, fellBack: false };
      } catch {
        // not JSON: shown as base64 below
      }
      return { value: bytes.toString('base64'), fellBack: true };
  }
}

/**
 * A stored value nested deeper than produce accepts (written as a string, in binary, or by
 * another client) is not shown as JSON: the answer's own JSON.stringify would overflow. Such a
 * value takes two bytes per level, so short ones are not walked.
 */
function tooDeepToShow(value: unknown, byteLength: number): boolean {
  return byteLength > 2 * LIMITS.jsonDepthMax && nestsDeeperThan(value, LIMITS.jsonDepthMax);
}

/**
 * A stored record as JSON; a json field that is not JSON (or nests deeper than
 * LIMITS.jsonDepthMax) comes back as base64, flagged.
 */
export function toRecordJson(
  record: DecodedRecord,
  partition: number,
  keyFormat: Format,
  valueFormat: Format,
): FetchedRecordJson {
  const out: FetchedRecordJson = {
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: null,
    value: null,
    headers: record.headers.map((h) => ({
      key: h.key,
      value: h.value === null ? null : h.value.toString('utf8'),
    })),
  };
  if (record.key !== null) {
    const key = decodeField(record.key, keyFormat);
    out.key = key.value;
    if (key.fellBack) out.keyFormat = 'binary';
  }
  if (record.value !== null) {
    const value = decodeField(record.value, valueFormat);
    out.value = value.value;
    if (value.fellBack) out.valueFormat = 'binary';
  }
  return out;
}
