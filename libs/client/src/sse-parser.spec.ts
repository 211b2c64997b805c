import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('reads blocks as EventSource does, cursor blocks included', () => {
    const parser = new SseParser();
    const text =
      'id: 0:-1,1:-1\n\n' +
      'id: 1:0\ndata: {"partition":1,"offset":0}\n\n' +
      ': keepalive\n\n' +
      'event: assignment\ndata: {"partitions":[0]}\n\n' +
      'data: line one\ndata: line two\n\n';
    expect(parser.push(text)).toEqual([
      { event: 'message', data: undefined, id: '0:-1,1:-1', lastEventId: '0:-1,1:-1' },
      { event: 'message', data: '{"partition":1,"offset":0}', id: '1:0', lastEventId: '1:0' },
      { event: 'assignment', data: '{"partitions":[0]}', id: undefined, lastEventId: '1:0' },
      { event: 'message', data: 'line one\nline two', id: undefined, lastEventId: '1:0' },
    ]);
  });

  it('takes lines split across chunks, and CRLF or CR endings', () => {
    const parser = new SseParser();
    expect(parser.push('id: 0:4\r')).toEqual([]);
    expect(parser.push('\ndata: {"a"')).toEqual([]);
    expect(parser.push(':1}\r\n\r')).toEqual([
      { event: 'message', data: '{"a":1}', id: '0:4', lastEventId: '0:4' },
    ]);
    expect(parser.push('\ndata:x\rdata:y\r\r')).toEqual([
      { event: 'message', data: 'x\ny', id: undefined, lastEventId: '0:4' },
    ]);
  });

  it('ignores an id holding NUL, and fields it does not know', () => {
    const parser = new SseParser();
    expect(parser.push('id: a\0b\nretry: 10\nfoo: bar\ndata: d\n\n')).toEqual([
      { event: 'message', data: 'd', id: undefined, lastEventId: '' },
    ]);
  });

  it('refuses a line longer than its bound', () => {
    const parser = new SseParser(10);
    expect(() => parser.push('data: 0123456789')).toThrow(/over 10 characters/);
  });
});
