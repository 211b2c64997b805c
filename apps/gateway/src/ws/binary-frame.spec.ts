import { AssertionError } from '@tributary/common';
import { encodeRecordsFrame, encodeRecordsFrameHeader } from './binary-frame';

const HEADER = {
  subscription: 's12',
  partition: 7,
  highWatermark: 2 ** 40 + 5,
  nextOffset: 2 ** 53 - 1,
  records: 300,
};

describe('the binary records frame header', () => {
  it('lays the fields out byte by byte, big-endian', () => {
    // prettier-ignore
    const expected = [
      0x01, // frame type
      0x03, // id length
      0x73, 0x31, 0x32, // "s12"
      0x00, 0x00, 0x00, 0x07, // partition
      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, // high watermark 2^40 + 5
      0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // next offset 2^53 - 1
      0x00, 0x00, 0x01, 0x2c, // record count 300
    ];
    expect(encodeRecordsFrameHeader(HEADER)).toEqual(Buffer.from(expected));
  });

  it('is 26 bytes plus the id', () => {
    for (const subscription of ['s1', 's'.repeat(255), 'é']) {
      const bytes = Buffer.byteLength(subscription);
      const header = encodeRecordsFrameHeader({ ...HEADER, subscription });
      expect([header.length, header[1]]).toEqual([26 + bytes, bytes]);
      expect(header.toString('utf8', 2, 2 + bytes)).toBe(subscription);
    }
  });

  it('refuses what the layout cannot hold', () => {
    for (const bad of [
      { subscription: '' },
      { subscription: 's'.repeat(256) },
      { partition: -1 },
      { partition: 2 ** 32 },
      { records: 1.5 },
    ]) {
      expect(() => encodeRecordsFrameHeader({ ...HEADER, ...bad })).toThrow(AssertionError);
    }
  });

  it('is followed by the batches, as given', () => {
    const batches = [Buffer.from('first'), Buffer.from('second')];
    const frame = encodeRecordsFrame(HEADER, batches);
    expect(frame.subarray(0, 29)).toEqual(encodeRecordsFrameHeader(HEADER));
    expect(frame.subarray(29).toString()).toBe('firstsecond');
    expect(() => encodeRecordsFrame(HEADER, [])).toThrow(AssertionError);
  });
});
