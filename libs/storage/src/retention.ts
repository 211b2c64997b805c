// Which segments retention deletes: always a prefix of the log, as in Kafka. A segment goes
// when every record in it is older than retention.ms, when the log without it is still at
// least retention.bytes, or when it lies wholly below the log start offset. Only data below
// the high watermark is ever deleted; the active segment may be chosen (the log then rolls).
import { type LogConfig } from './log-config';
import { type LogSegment } from './log-segment';
import { type LogSegments } from './log-segments';

export class RetentionPolicy {
  constructor(
    private readonly segments: LogSegments,
    private readonly config: LogConfig,
  ) {}

  select(nowMs: number, logStartOffset: number, highWatermark: number): LogSegment[] {
    const all = this.segments.all();
    let size = this.segments.sizeBytes();
    const victims: LogSegment[] = [];
    for (const segment of all) {
      if (segment.isEmpty || segment.nextOffset > highWatermark) break;
      const expired =
        this.config.retentionMs >= 0 && nowMs - segment.maxTimestamp > this.config.retentionMs;
      const oversized =
        this.config.retentionBytes >= 0 && size - segment.sizeBytes >= this.config.retentionBytes;
      const belowStart = segment.nextOffset <= logStartOffset;
      if (!expired && !oversized && !belowStart) break;
      victims.push(segment);
      size -= segment.sizeBytes;
    }
    return victims;
  }

  belowLogStart(logStartOffset: number): LogSegment[] {
    const victims: LogSegment[] = [];
    for (const segment of this.segments.all()) {
      if (segment.isEmpty || segment.nextOffset > logStartOffset) break;
      victims.push(segment);
    }
    return victims;
  }
}
