import { murmur2, partitionForKey, toPositive } from './murmur2';
import { createKafkajsPartitioner, kafkajsMurmur2 } from '../../../test/support/kafkajs';
import { seededRandom, testSeed } from '../../../test/support/random';

const SEED = testSeed();

function randomKey(random: () => number): Buffer {
  const key = Buffer.alloc(Math.floor(random() * 70));
  for (let i = 0; i < key.length; i++) key[i] = Math.floor(random() * 256);
  return key;
}

describe('murmur2', () => {
  // Kafka's UtilsTest.testMurmur2.
  test.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%j) is %d, as in Java', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  test('hashes the empty key and every tail length', () => {
    const key = Buffer.from('abcdefgh');
    for (let length = 0; length <= key.length; length++) {
      const prefix = key.subarray(0, length);
      expect(murmur2(prefix)).toBe(kafkajsMurmur2(prefix));
    }
  });

  test(`agrees with kafkajs on 10,000 random keys (seed ${SEED}, TEST_SEED to replay)`, () => {
    const random = seededRandom(SEED);
    let mismatch: string | null = null;
    for (let i = 0; i < 10_000 && mismatch === null; i++) {
      const key = randomKey(random);
      const ours = murmur2(key);
      const theirs = kafkajsMurmur2(key);
      if (ours !== theirs)
        mismatch = `seed ${SEED}, key ${key.toString('hex')}: ${ours} != ${theirs}`;
    }
    expect(mismatch).toBeNull();
  });
});

describe('partitionForKey', () => {
  test('clears the sign bit instead of taking the absolute value', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(123)).toBe(123);
  });

  test('matches Java for a known key', () => {
    // murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166; % 10 = 6.
    expect(partitionForKey(Buffer.from('foobar'), 10)).toBe(6);
  });

  test(`picks kafkajs's default partition for random keys (seed ${SEED})`, () => {
    const random = seededRandom(SEED ^ 0x5bd1e995);
    const partitioner = createKafkajsPartitioner();
    let mismatch: string | null = null;
    for (let i = 0; i < 2_000 && mismatch === null; i++) {
      const key = randomKey(random);
      const partitions = 1 + Math.floor(random() * 64);
      const partitionMetadata = Array.from({ length: partitions }, (_, id) => ({
        partitionId: id,
        leader: 0,
      }));
      const theirs = partitioner({ topic: 't', partitionMetadata, message: { key } });
      const ours = partitionForKey(key, partitions);
      if (ours !== theirs)
        mismatch = `seed ${SEED}, key ${key.toString('hex')} over ${partitions}: ${ours} != ${theirs}`;
    }
    expect(mismatch).toBeNull();
  });

  test('refuses a non-positive partition count', () => {
    expect(() => partitionForKey(Buffer.from('k'), 0)).toThrow(/numPartitions/);
  });
});
