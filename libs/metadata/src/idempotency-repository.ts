// Answers remembered per (tenant, topic, Idempotency-Key), so a repeated produce returns the
// first answer. The first writer wins; a record past its expiry counts as absent and is
// replaced by the next put, and deleteExpired sweeps the rest.
import { assert, BrokerError, type Clock, systemClock } from '@tributary/common';
import { type Prisma, type PrismaClient } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors';
import { toIdempotencyRecord } from './rows';
import { type IdempotencyRecord, type JsonValue } from './types';
import { isUuid, jsonBytes } from './validation';

export interface PutIdempotencyInput {
  tenantId: string;
  topicId: string;
  key: string;
  /** sha256 hex of the request, to tell a retry from a reuse of the key with another body. */
  requestHash: string;
  response: JsonValue;
  ttlMs: number;
}

export interface PutIdempotencyResult {
  /** False when an unexpired record was there first; `record` is then that one. */
  readonly stored: boolean;
  readonly record: IdempotencyRecord;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Put attempts before giving up on a key that keeps expiring and reappearing under us. */
const PUT_ATTEMPTS_MAX = 3;

export class IdempotencyRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The unexpired record for the key, if any. */
  async get(
    tenantId: string,
    topicId: string,
    key: string,
  ): Promise<IdempotencyRecord | undefined> {
    if (!isUuid(tenantId) || !isUuid(topicId)) return undefined;
    const row = await this.prisma.idempotencyRecord.findUnique({
      where: { tenantId_topicId_key: { tenantId, topicId, key } },
    });
    if (row === null || row.expiresAt.getTime() <= this.clock.nowMs()) return undefined;
    return toIdempotencyRecord(row);
  }

  /** Stores the record unless an unexpired one has the key already. */
  async putIfAbsent(input: PutIdempotencyInput): Promise<PutIdempotencyResult> {
    checkPut(input);
    const { tenantId, topicId, key } = input;
    if (!isUuid(tenantId) || !isUuid(topicId)) throw unknownTopic(topicId);
    for (let attempt = 1; attempt <= PUT_ATTEMPTS_MAX; attempt++) {
      const nowMs = this.clock.nowMs();
      await this.prisma.idempotencyRecord.deleteMany({
        where: { tenantId, topicId, key, expiresAt: { lte: new Date(nowMs) } },
      });
      try {
        const row = await this.prisma.idempotencyRecord.create({
          data: {
            tenantId,
            topicId,
            key,
            requestHash: input.requestHash,
            response: input.response as Prisma.InputJsonValue,
            createdAt: new Date(nowMs),
            expiresAt: new Date(nowMs + input.ttlMs),
          },
        });
        return { stored: true, record: toIdempotencyRecord(row) };
      } catch (error) {
        if (isForeignKeyViolation(error)) throw unknownTopic(topicId);
        if (!isUniqueViolation(error)) throw error;
      }
      const existing = await this.get(tenantId, topicId, key);
      if (existing !== undefined) return { stored: false, record: existing };
    }
    throw new BrokerError('UNAVAILABLE', `idempotency key ${key} is contended; retry`);
  }

  /** Deletes every expired record; returns how many. */
  async deleteExpired(): Promise<number> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({
      where: { expiresAt: { lte: new Date(this.clock.nowMs()) } },
    });
    return count;
  }
}

function checkPut(input: PutIdempotencyInput): void {
  if (input.key.length === 0 || input.key.length > METADATA_LIMITS.idempotencyKeyLengthMax) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `Idempotency-Key must be 1-${METADATA_LIMITS.idempotencyKeyLengthMax} characters`,
    );
  }
  assert(SHA256_HEX.test(input.requestHash), 'requestHash must be lowercase sha256 hex');
  assert(Number.isSafeInteger(input.ttlMs) && input.ttlMs > 0, () => `bad ttl ${input.ttlMs}`);
  assert(input.response !== null, 'an idempotent response is a JSON value other than null');
  assert(
    jsonBytes(input.response) <= METADATA_LIMITS.idempotencyResponseBytesMax,
    'idempotent response too large',
  );
}

function unknownTopic(topicId: string): BrokerError {
  return new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topicId} does not exist`);
}
