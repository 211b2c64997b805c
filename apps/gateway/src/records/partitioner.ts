// Where a record goes: its explicit partition; else Kafka's default partitioner on the key
// bytes (murmur2, so a key lands where a Kafka client would put it); else the uniform sticky
// partitioner of Kafka clients (KIP-480, KIP-794): keyless records of a topic stick to one
// partition until about STICKY_BYTES of them (values' lengths) went there, then move on. Concurrent small
// requests so land in one partition together and share one write (and one fdatasync) there,
// while over time every partition gets the same bytes. One request's keyless records always
// share a partition.
import { BrokerError } from '@tributary/common';
import { partitionForKey } from '@tributary/protocol';
import { type ProduceRecord } from './record-codec';

/** Kafka's batch.size default, the bytes after which its clients switch partition. */
export const STICKY_BYTES = 16_384;
/** Topics remembered for stickiness; past it the oldest are forgotten. */
const STICKY_TOPICS_MAX = 100_000;

interface Sticky {
  partition: number;
  bytes: number;
}

export class Partitioner {
  private readonly sticky = new Map<string, Sticky>();

  /**
   * The partition of every record, in request order. `keyless`, when given, is where keyless
   * records go instead of the sticky partition (a keyed request's retry must repeat it).
   */
  assign(
    topicId: string,
    partitionCount: number,
    records: readonly ProduceRecord[],
    keyless?: number,
  ): number[] {
    let sticky: Sticky | undefined;
    let keylessBytes = 0;
    const partitions = records.map((record, index) => {
      if (record.partition !== undefined) {
        if (record.partition >= partitionCount) {
          throw new BrokerError(
            'UNKNOWN_TOPIC_OR_PARTITION',
            `records[${index}]: partition ${record.partition} does not exist (the topic has ${partitionCount})`,
          );
        }
        return record.partition;
      }
      const { key, value } = record.input;
      if (key !== null && key !== undefined) return partitionForKey(key, partitionCount);
      if (keyless !== undefined) return keyless;
      sticky ??= this.current(topicId, partitionCount);
      keylessBytes += value?.length ?? 0;
      return sticky.partition;
    });
    if (sticky !== undefined) {
      sticky.bytes += keylessBytes;
      if (sticky.bytes >= STICKY_BYTES) {
        sticky.partition = (sticky.partition + 1) % partitionCount;
        sticky.bytes = 0;
      }
    }
    return partitions;
  }

  private current(topicId: string, partitionCount: number): Sticky {
    let sticky = this.sticky.get(topicId);
    if (sticky === undefined) {
      if (this.sticky.size >= STICKY_TOPICS_MAX) {
        // The map's order is insertion order: forget the topic stuck to longest ago.
        const oldest = this.sticky.keys().next().value;
        if (oldest !== undefined) this.sticky.delete(oldest);
      }
      sticky = { partition: Math.floor(Math.random() * partitionCount), bytes: 0 };
      this.sticky.set(topicId, sticky);
    }
    // Partitions added since: the count only grows; a partition past it wraps.
    sticky.partition %= partitionCount;
    return sticky;
  }
}
