// The segments of one log, ordered by base offset, with a floor lookup (Kafka's LogSegments).
// Appends add at the end and retention removes from the front, so a sorted array suffices.
import { assert } from '@tributary/common';
import { type LogSegment } from './log-segment';

export class LogSegments {
  private segments: LogSegment[];

  constructor(initial: LogSegment[]) {
    assert(initial.length > 0, 'a log has at least one segment');
    this.segments = [...initial];
  }

  get count(): number {
    return this.segments.length;
  }

  all(): readonly LogSegment[] {
    return this.segments;
  }

  active(): LogSegment {
    const last = this.segments[this.segments.length - 1];
    assert(last !== undefined, 'a log has at least one segment');
    return last;
  }

  add(segment: LogSegment): void {
    assert(
      this.segments.length === 0 || segment.baseOffset >= this.active().nextOffset,
      'a new segment must start at or after the log end',
    );
    this.segments.push(segment);
  }

  remove(segment: LogSegment): void {
    this.segments = this.segments.filter((s) => s !== segment);
    assert(this.segments.length > 0, 'removed the last segment');
  }

  /** Removes and returns the segments whose base offset is >= `offset`. */
  removeFrom(offset: number): LogSegment[] {
    const keep = this.segments.filter((s) => s.baseOffset < offset);
    const removed = this.segments.filter((s) => s.baseOffset >= offset);
    this.segments = keep;
    return removed;
  }

  /** The segment with the greatest base offset <= `offset`. */
  floor(offset: number): LogSegment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: LogSegment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const segment = this.segments[mid]!;
      if (segment.baseOffset <= offset) {
        found = segment;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The first segment whose base offset is > `offset`. */
  higher(offset: number): LogSegment | undefined {
    return this.segments.find((s) => s.baseOffset > offset);
  }

  /** Segments that may hold offsets >= `offset`, in order. */
  from(offset: number): LogSegment[] {
    const first = this.floor(offset);
    return first === undefined
      ? [...this.segments]
      : this.segments.slice(this.segments.indexOf(first));
  }

  sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }
}
