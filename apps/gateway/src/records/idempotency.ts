// Idempotency-Key for produce: the first answer is stored (in the metadata database, so it
// survives a restart) and a repeated request with the same key and the same body gets it back
// without writing; the same key with another body is refused. Concurrent repeats on this node
// wait for the first one instead of racing it.
import { createHash } from 'node:crypto';
import { BrokerError, LIMITS } from '@tributary/common';
import { type JsonValue, type MetadataStore } from '@tributary/metadata';
import { type ProduceAnswer, type ProduceInput } from './produce.service';

const KEY = /^[\x21-\x7e]{1,255}$/;

export class Idempotency {
  private readonly inFlight = new Map<string, Promise<ProduceAnswer>>();

  constructor(private readonly metadata: MetadataStore) {}

  async run(
    tenantId: string,
    topicId: string,
    key: string,
    input: ProduceInput,
    write: () => Promise<ProduceAnswer>,
  ): Promise<ProduceAnswer> {
    if (!KEY.test(key)) {
      throw new BrokerError(
        'INVALID_REQUEST',
        'Idempotency-Key must be 1-255 visible ASCII characters',
      );
    }
    const requestHash = hashRequest(input);
    const slot = `${tenantId}/${topicId}/${key}`;
    for (;;) {
      const running = this.inFlight.get(slot);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    const attempt = this.attempt(tenantId, topicId, key, requestHash, write);
    this.inFlight.set(slot, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(slot) === attempt) this.inFlight.delete(slot);
    }
  }

  private async attempt(
    tenantId: string,
    topicId: string,
    key: string,
    requestHash: string,
    write: () => Promise<ProduceAnswer>,
  ): Promise<ProduceAnswer> {
    const stored = await this.metadata.idempotency.get(tenantId, topicId, key);
    if (stored !== undefined) return replay(stored.requestHash, requestHash, stored.response);
    const answer = await write();
    const put = await this.metadata.idempotency.putIfAbsent({
      tenantId,
      topicId,
      key,
      requestHash,
      response: { status: answer.status, body: answer.body } as unknown as JsonValue,
      ttlMs: LIMITS.idempotencyTtlMs,
    });
    return put.stored ? answer : replay(put.record.requestHash, requestHash, put.record.response);
  }
}

function replay(storedHash: string, requestHash: string, response: JsonValue): ProduceAnswer {
  if (storedHash !== requestHash) {
    throw new BrokerError(
      'IDEMPOTENCY_KEY_REUSED',
      'this Idempotency-Key was used for a different request; use a new key',
    );
  }
  const { status, body } = response as unknown as Pick<ProduceAnswer, 'status' | 'body'>;
  return { status, body, replayed: true };
}

function hashRequest(input: ProduceInput): string {
  const hash = createHash('sha256');
  hash.update(
    `${input.topic}\n${input.acks ?? 'all'}\n${input.keyFormat ?? ''}\n${input.valueFormat ?? ''}\n`,
  );
  hash.update(
    input.ndjson ? `ndjson\n${String(input.body)}` : `json\n${JSON.stringify(input.body)}`,
  );
  return hash.digest('hex');
}
