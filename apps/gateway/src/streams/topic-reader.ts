// Reads every partition of one topic for one event stream without a group: the positions live
// on this connection only. A read takes what is there now (fetches with maxWaitMs 0, a
// different partition first each time), and with nothing anywhere the stream parks on the
// same waiters as long-polls, woken by the first append to any of its partitions.
import { BrokerError } from '@tributary/common';
import { type Topic } from '@tributary/metadata';
import {
  type BrokerClient,
  only,
  type OffsetSpec,
  type PartitionPosition,
  type WakeReason,
} from '@tributary/partitions';
import { type ReadCursor, readPartitionsInTurn } from '../records/partition-reads';
import { type FetchedRecordJson, type Format, toRecordJson } from '../records/record-codec';
import { topicPartition } from '../topics/topic-access';

export interface Formats {
  keyFormat: Format;
  valueFormat: Format;
}

export interface TopicBatch {
  records: FetchedRecordJson[];
  /** RecordBatch bytes read (what the fetch quota and metrics count). */
  bytes: number;
}

export class TopicReader {
  private rotation = 0;

  private constructor(
    private readonly broker: BrokerClient,
    private topic: Topic,
    /** The next offset to read, by partition. */
    private readonly positions: number[],
  ) {}

  /**
   * Start positions: after the Last-Event-ID offset for the partitions it names, else from
   * `from`. A resume point that retention has removed starts at the log start (the records
   * are gone, as with Kafka's auto.offset.reset=earliest); one past the high watermark is
   * 416, as a fetch there would be.
   */
  static async open(
    broker: BrokerClient,
    topic: Topic,
    from: OffsetSpec,
    delivered: ReadonlyMap<number, number> | undefined,
  ): Promise<TopicReader> {
    for (const partition of delivered?.keys() ?? []) {
      if (partition >= topic.partitionCount) {
        throw new BrokerError(
          'INVALID_REQUEST',
          `Last-Event-ID: topic ${topic.name} has no partition ${partition} (it has ${topic.partitionCount})`,
        );
      }
    }
    const positions: number[] = [];
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      const tp = topicPartition(topic, partition);
      const last = delivered?.get(partition);
      if (last === undefined) {
        positions.push((await broker.listOffset(tp, from)).offset);
        continue;
      }
      const { logStartOffset, highWatermark } = only(await broker.states([tp]));
      if (last + 1 > highWatermark) {
        throw new BrokerError(
          'OFFSET_OUT_OF_RANGE',
          `Last-Event-ID: partition ${partition} has no offset ${last} (high watermark ${highWatermark})`,
          { extra: { logStartOffset, highWatermark } },
        );
      }
      positions.push(Math.max(last + 1, logStartOffset));
    }
    return new TopicReader(broker, topic, positions);
  }

  /** The next offset to read, by partition. */
  get nextOffsets(): readonly number[] {
    return this.positions;
  }

  /**
   * Follows the topic as it is now: partitions added since the stream started are read from
   * their beginning, so nothing written to them is missed.
   */
  async refresh(current: Topic): Promise<void> {
    this.topic = current;
    for (let partition = this.positions.length; partition < current.partitionCount; partition++) {
      const tp = topicPartition(current, partition);
      this.positions.push((await this.broker.listOffset(tp, 'earliest')).offset);
    }
  }

  /** What the partitions hold now from their positions, within the limits; moves them on. */
  async read(maxRecords: number, maxBytes: number, formats: Formats): Promise<TopicBatch> {
    const cursors: ReadCursor<FetchedRecordJson>[] = this.positions.map((offset, partition) => ({
      tp: topicPartition(this.topic, partition),
      offset,
      toJson: (record) => toRecordJson(record, partition, formats.keyFormat, formats.valueFormat),
    }));
    const first = this.rotation++ % cursors.length;
    const read = await readPartitionsInTurn(
      this.broker,
      cursors,
      first,
      { maxRecords, maxBytes },
      async (cursor, error) => {
        // Retention overtook the position: carry on from the new log start.
        const { logStartOffset } = only(await this.broker.states([cursor.tp]));
        if (cursor.offset >= logStartOffset) throw error;
        return logStartOffset;
      },
    );
    read.ends.forEach((end, partition) => {
      if (end !== undefined) this.positions[partition] = end.nextOffset;
    });
    return { records: read.records, bytes: read.logBytes };
  }

  /** Parks until a partition has a record at its position, maxWaitMs passes, or the abort. */
  park(maxWaitMs: number, signal: AbortSignal): Promise<WakeReason> {
    const positions: PartitionPosition[] = this.positions.map((offset, partition) => ({
      ...topicPartition(this.topic, partition),
      offset,
    }));
    return this.broker.awaitRecords(positions, maxWaitMs, signal);
  }
}
