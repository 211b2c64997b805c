// Idempotency-Key for produce. The key travels inside every batch the request writes, as the
// batch's idempotent-producer fields: the producer id is a hash of (tenant, topic, key), the
// epoch and base sequence a hash of the request. The partition log remembers each producer's
// last batch, durably with the batch itself and rebuilt from the log after a crash, and answers
// a retry with the first write's offsets instead of writing again (see the storage's producer
// state). So a retry after a crash, a restart or a lost answer writes each partition's records
// once; the same key with another request is refused (IDEMPOTENCY_KEY_REUSED).
//
// Keyless records of a keyed request go to the partition the key's hash picks, not the sticky
// one, so a retry sends them where the first attempt did. A key is remembered for
// LIMITS.idempotencyWindowMs, and for the last LIMITS.idempotentProducersPerPartitionMax keys
// of each partition.
import { createHash } from 'node:crypto';
import { BrokerError } from '@tributary/common';
import { KEYED_PRODUCER_ID_MIN } from '@tributary/protocol';

/** 1-255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const ID_BITS = 52;
const EPOCH_BITS = 15;
const SEQUENCE_BITS = 31;

/** What a retry of a produce request repeats (a ProduceInput has these). */
export interface ProduceRequest {
  topic: string;
  acks: string | undefined;
  keyFormat: string | undefined;
  valueFormat: string | undefined;
  ndjson: boolean;
  /** The parsed JSON body, or the NDJSON text. */
  body: unknown;
}

/** The producer fields that a keyed request's batches carry. */
export interface KeyedProducer {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export function keyedProducer(
  tenantId: string,
  topicId: string,
  key: string,
  input: ProduceRequest,
): KeyedProducer {
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new BrokerError(
      'INVALID_REQUEST',
      'Idempotency-Key must be 1-255 visible ASCII characters',
    );
  }
  const id = bitsOf(createHash('sha256').update(`${tenantId}/${topicId}/${key}`).digest(), ID_BITS);
  const request = hashRequest(input);
  return {
    producerId: KEYED_PRODUCER_ID_MIN + id,
    producerEpoch: bitsOf(request, EPOCH_BITS),
    baseSequence: bitsOf(request.subarray(2), SEQUENCE_BITS),
  };
}

/** Where a keyed request's keyless records go: the same partition on every attempt. */
export function keylessPartition(producer: KeyedProducer, partitionCount: number): number {
  return (producer.producerId - KEYED_PRODUCER_ID_MIN) % partitionCount;
}

/** The first `bits` bits (at most 52) of `digest`, as an exact number. */
function bitsOf(digest: Buffer, bits: number): number {
  const high = digest.readUInt32BE(0);
  if (bits <= 32) return Math.floor(high / 2 ** (32 - bits));
  return high * 2 ** (bits - 32) + Math.floor(digest.readUInt32BE(4) / 2 ** (64 - bits));
}

function hashRequest(input: ProduceRequest): Buffer {
  const hash = createHash('sha256');
  hash.update(
    `${input.topic}\n${input.acks ?? 'all'}\n${input.keyFormat ?? ''}\n${input.valueFormat ?? ''}\n`,
  );
  hash.update(
    input.ndjson ? `ndjson\n${String(input.body)}` : `json\n${JSON.stringify(input.body)}`,
  );
  return hash.digest();
}
