// The decoder of binary records frames that docs/API.md shows, read from the page itself and
// run as pasted, as a client would copy it: the binary frame tests and the bench decode with it,
// so the page's few lines are what is proven and measured.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DecodedFrame {
  subscription: string;
  partition: number;
  highWatermark: number;
  nextOffset: number;
  records: {
    offset: number;
    timestamp: number;
    key: Uint8Array | null;
    value: Uint8Array | null;
    headers: { key: string; value: Uint8Array | null }[];
  }[];
}

/** docs/API.md above this file, from the source tree (tests) or from dist (the bench). */
function apiPage(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const page = path.join(dir, 'docs', 'API.md');
    if (fs.existsSync(page)) return fs.readFileSync(page, 'utf8');
  }
  throw new Error(`no docs/API.md above ${__dirname}`);
}

export function documentedDecoder(): (data: Uint8Array) => DecodedFrame {
  const page = apiPage();
  const section = page.slice(page.indexOf('### Binary records frames'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('docs/API.md shows no decoder');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the page's code, run as pasted
  return new Function(`${code}\nreturn decodeRecordsFrame;`)() as (d: Uint8Array) => DecodedFrame;
}
