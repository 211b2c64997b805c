// Positions out of range in a read of several partitions: one that retention overtook (below
// the log start) moves on by the caller's policy; one ahead of the high watermark (a leader
// elected a moment ago, its high watermark a fetch behind its predecessor's) stays where it is
// and the other partitions still deliver.
import { BrokerError } from '@tributary/common';
import { type BrokerClient, type FetchManyResult } from '@tributary/partitions';
import { readPartitionsInTurn, type ReadCursor } from './partition-reads';

const tp = (partition: number) => ({ tenantId: 't', topicId: 'topic', partition });

function outOfRange(offset: number, logStartOffset: number, highWatermark: number) {
  return {
    ok: false as const,
    error: new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${offset} is out of range`, {
      extra: { logStartOffset, highWatermark },
    }),
  };
}

/** A broker whose fetchMany answers `outcomes`, whatever is asked. */
function broker(outcomes: FetchManyResult): BrokerClient {
  return { fetchMany: () => Promise.resolve(outcomes) } as unknown as BrokerClient;
}

const cursor = (partition: number, offset: number): ReadCursor<unknown> => ({
  tp: tp(partition),
  offset,
  toJson: (record) => record,
});

describe('readPartitionsInTurn with positions out of range', () => {
  const limits = { maxRecords: 100, maxBytes: 1 << 20 };

  it('leaves a position ahead of the high watermark where it is, and resets none', async () => {
    const restart = jest.fn(() => Promise.resolve(0));
    const read = await readPartitionsInTurn(
      // Partition 0 at 13 on a new leader whose high watermark is 11; partition 1 is empty.
      broker([
        outOfRange(13, 0, 11),
        {
          ok: true,
          value: { records: Buffer.alloc(0), nextOffset: 4, highWatermark: 4, logStartOffset: 0 },
        },
      ]),
      [cursor(0, 13), cursor(1, 4)],
      0,
      limits,
      restart,
    );
    expect(restart).not.toHaveBeenCalled();
    expect(read.ends[0]).toBeUndefined(); // not moved: read again next time
    expect(read.ends[1]).toMatchObject({ nextOffset: 4 });
  });

  it('moves a position that retention overtook by the caller’s policy', async () => {
    const restart = jest.fn(() => Promise.resolve(50));
    const read = await readPartitionsInTurn(
      broker([outOfRange(3, 50, 80)]),
      [cursor(0, 3)],
      0,
      limits,
      restart,
    );
    expect(restart).toHaveBeenCalledTimes(1);
    expect(read.ends[0]).toEqual({ nextOffset: 50, records: 0, logBytes: 0 });
  });
});
