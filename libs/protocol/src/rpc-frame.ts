// Frames of the internal RPC between nodes, on a TCP stream:
//
//   size: uint32          bytes after this field
//   requestId: uint32     chosen by the caller; the answer carries it back
//   type: uint8           1 request, 2 answer, 3 error, 4 cancel
//   method: uint8         a request's method; 0 otherwise
//   headerBytes: uint32
//   header: JSON, UTF-8   the call's fields
//   body: bytes           the rest: record batches exactly as stored, never re-encoded
//
// Several calls share one connection (multiplexed by request id); answers come back in any
// order. The decoder refuses a frame larger than its bound before buffering it.
/** A stream that does not hold well-formed frames: the connection must be dropped. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export const FrameType = {
  Request: 1,
  Answer: 2,
  Error: 3,
  Cancel: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  requestId: number;
  type: FrameType;
  method: number;
  header: unknown;
  body: Buffer;
}

const PREFIX_BYTES = 14;
const EMPTY = Buffer.alloc(0);

/** The frame's bytes: a prefix-and-header buffer, then the body (sent without a copy). */
export function encodeFrame(frame: Frame): Buffer[] {
  const header = Buffer.from(JSON.stringify(frame.header ?? null), 'utf8');
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix.writeUInt32BE(PREFIX_BYTES - 4 + header.length + frame.body.length, 0);
  prefix.writeUInt32BE(frame.requestId >>> 0, 4);
  prefix.writeUInt8(frame.type, 8);
  prefix.writeUInt8(frame.method, 9);
  prefix.writeUInt32BE(header.length, 10);
  return frame.body.length === 0
    ? [Buffer.concat([prefix, header])]
    : [Buffer.concat([prefix, header]), frame.body];
}

export function frameBytes(parts: readonly Buffer[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

/** Cuts a byte stream into frames; `push` returns the frames completed by `chunk`. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly frameBytesMax: number) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const size = this.peekSize();
      if (size < PREFIX_BYTES - 4 || size + 4 > this.frameBytesMax) {
        throw new FrameError(`rpc frame of ${size} bytes is out of bounds`);
      }
      if (this.buffered < size + 4) break;
      frames.push(decodeFrame(this.take(size + 4)));
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks).readUInt32BE(0);
  }

  private take(bytes: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
    return taken;
  }
}

function decodeFrame(buf: Buffer): Frame {
  const headerBytes = buf.readUInt32BE(10);
  if (PREFIX_BYTES + headerBytes > buf.length) {
    throw new FrameError('rpc frame header runs past the frame');
  }
  const type = buf.readUInt8(8);
  if (type < FrameType.Request || type > FrameType.Cancel) {
    throw new FrameError(`rpc frame of unknown type ${type}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  } catch {
    throw new FrameError('rpc frame header is not JSON');
  }
  const bodyStart = PREFIX_BYTES + headerBytes;
  return {
    requestId: buf.readUInt32BE(4),
    type: type as FrameType,
    method: buf.readUInt8(9),
    header,
    body: bodyStart === buf.length ? EMPTY : buf.subarray(bodyStart),
  };
}
