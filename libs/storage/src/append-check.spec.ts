// What an append refuses, with and without `crcVerified`: only the CRC pass is skipped.
import {
  encodeRecordBatch,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_RECORD_COUNT,
  updateBatchCrc,
} from '@tributary/protocol';
import { HandlePool } from './handle-pool';
import { DEFAULT_LOG_CONFIG } from './log-config';
import { MemoryFileSystem } from './memory-file-system';
import { PartitionLog } from './partition-log';

function batch(values: string[]): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ key: null, value: Buffer.from(v) })),
    { defaultTimestampMs: 1_700_000_000_000 },
  );
}

function patched(buf: Buffer, patch: (b: Buffer) => void): Buffer {
  patch(buf);
  return buf;
}

const badCrc = () =>
  patched(batch(['y']), (b) => b.writeUInt32BE(b.readUInt32BE(OFFSET_CRC) ^ 1, OFFSET_CRC));

const zeroRecords = () =>
  patched(batch(['z']), (b) => {
    b.writeInt32BE(0, OFFSET_RECORD_COUNT);
    updateBatchCrc(b, 0, b.length);
  });

interface Case {
  name: string;
  make: () => Buffer;
  /** The error code (or 'ok') without crcVerified, and with it. */
  plain: string;
  verified: string;
}

const CASES: Case[] = [
  { name: 'valid', make: () => batch(['ok']), plain: 'ok', verified: 'ok' },
  { name: 'bad crc', make: badCrc, plain: 'CORRUPT_RECORD', verified: 'ok' },
  {
    name: 'too large',
    make: () => batch(['x'.repeat(300)]),
    plain: 'MESSAGE_TOO_LARGE',
    verified: 'MESSAGE_TOO_LARGE',
  },
  {
    name: 'short header',
    make: () => batch(['z']).subarray(0, 40),
    plain: 'CORRUPT_RECORD',
    verified: 'CORRUPT_RECORD',
  },
  {
    name: 'truncated',
    make: () => batch(['z']).subarray(0, 65),
    plain: 'CORRUPT_RECORD',
    verified: 'CORRUPT_RECORD',
  },
  {
    name: 'trailing bytes',
    make: () => Buffer.concat([batch(['z']), Buffer.alloc(3)]),
    plain: 'CORRUPT_RECORD',
    verified: 'CORRUPT_RECORD',
  },
  {
    name: 'bad magic',
    make: () => patched(batch(['z']), (b) => b.writeInt8(1, OFFSET_MAGIC)),
    plain: 'CORRUPT_RECORD',
    verified: 'CORRUPT_RECORD',
  },
  {
    name: 'bad count',
    make: () => patched(batch(['z', 'z']), (b) => b.writeInt32BE(0, OFFSET_LAST_OFFSET_DELTA)),
    plain: 'CORRUPT_RECORD',
    verified: 'CORRUPT_RECORD',
  },
  { name: 'no records', make: zeroRecords, plain: 'INVALID_RECORD', verified: 'INVALID_RECORD' },
];

describe('PartitionLog.append checks', () => {
  let fs: MemoryFileSystem;
  let log: PartitionLog;

  beforeEach(async () => {
    fs = new MemoryFileSystem();
    const config = { ...DEFAULT_LOG_CONFIG, maxMessageBytes: 200 };
    log = await PartitionLog.open({ dir: '/d/p-0', fs, pool: new HandlePool(fs, 16), config });
  });

  afterEach(() => log.close());

  const outcome = (bytes: Buffer, crcVerified?: boolean): Promise<string> =>
    log.append(bytes, 0, crcVerified === undefined ? undefined : { crcVerified }).then(
      () => 'ok',
      (error: { code: string }) => error.code,
    );

  it.each(CASES)('$name: $plain by default, $verified with crcVerified', async (c) => {
    const { make, plain, verified } = c;
    expect(await outcome(make())).toBe(plain);
    expect(await outcome(make(), false)).toBe(plain);
    expect(await outcome(make(), true)).toBe(verified);
  });

  it('writes a batch declared verified as it is, and refuses to serve it if the CRC was wrong', async () => {
    await log.append(batch(['good']), 0, { crcVerified: true });
    await log.append(badCrc(), 0, { crcVerified: true });
    expect(log.highWatermark).toBe(2);
    expect((await log.read(0, 1)).nextOffset).toBe(1);
    await expect(log.read(1, 1 << 20)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
  });
});
