import { produceAnswerJson } from './produce.service';

describe('produceAnswerJson', () => {
  test.each([
    { name: 'no offsets', offsets: [] },
    { name: 'one', offsets: [{ partition: 0, offset: 0, timestamp: 1_763_700_000_000 }] },
    {
      name: 'acks=0 (offset -1) and large offsets',
      offsets: [
        { partition: 5, offset: -1, timestamp: 0 },
        { partition: 2147483647, offset: Number.MAX_SAFE_INTEGER, timestamp: 8_640_000_000_000 },
      ],
    },
    {
      name: '500 across partitions',
      offsets: Array.from({ length: 500 }, (_, i) => ({
        partition: i % 7,
        offset: 1_000_000 + i,
        timestamp: 1_763_700_000_000 + (i % 3),
      })),
    },
  ])('writes what JSON.stringify writes: $name', ({ offsets }) => {
    const json = produceAnswerJson({ offsets });
    expect(json).toBe(JSON.stringify({ offsets }));
  });
});
