// Where a record goes: its explicit partition; else Kafka's default partitioner on the key
// bytes (murmur2, so a key lands where a Kafka client would put it); else sticky round-robin:
// all keyless records of one request go to one partition, and the next request moves on, so
// batches stay large (Kafka's sticky partitioner, KIP-480).
import { BrokerError } from '@tributary/common';
import { partitionForKey } from '@tributary/protocol';
import { type ProduceRecord } from './record-codec';

/** Topics remembered for stickiness; past it the oldest are forgotten. */
const STICKY_TOPICS_MAX = 100_000;

export class Partitioner {
  private readonly next = new Map<string, number>();

  /** The partition of every record, in request order. */
  assign(topicId: string, partitionCount: number, records: readonly ProduceRecord[]): number[] {
    let sticky: number | undefined;
    return records.map((record, index) => {
      if (record.partition !== undefined) {
        if (record.partition >= partitionCount) {
          throw new BrokerError(
            'UNKNOWN_TOPIC_OR_PARTITION',
            `records[${index}]: partition ${record.partition} does not exist (the topic has ${partitionCount})`,
          );
        }
        return record.partition;
      }
      const key = record.input.key;
      if (key !== null && key !== undefined) return partitionForKey(key, partitionCount);
      sticky ??= this.stickyPartition(topicId, partitionCount);
      return sticky;
    });
  }

  private stickyPartition(topicId: string, partitionCount: number): number {
    const current = this.next.get(topicId) ?? Math.floor(Math.random() * partitionCount);
    this.next.delete(topicId); // re-inserted last: the map's order is least recently used first
    if (this.next.size >= STICKY_TOPICS_MAX) {
      const oldest = this.next.keys().next().value;
      if (oldest !== undefined) this.next.delete(oldest);
    }
    this.next.set(topicId, (current + 1) % partitionCount);
    return current % partitionCount;
  }
}
