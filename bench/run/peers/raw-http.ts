// The ceiling for single-record HTTP: bench/http's raw node:http server (reads the body, answers
// a fixed produce-shaped JSON), pinned to the server core like the node.
import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { exited, spawnPinned, stopChild } from '../../common/processes';
import { type Cleanup } from '../cleanup';
import { type PeerSummary } from '../results';

const START_TIMEOUT_MS = 10_000;

export interface RawHttpServer {
  origin: string;
  pid: number;
}

export async function startRawHttp(core: number, cleanup: Cleanup): Promise<RawHttpServer> {
  const script = path.join(__dirname, '..', '..', 'http', 'raw-server.js');
  const proc = spawnPinned(core, [script], process.env, ['ignore', 'pipe', 'ignore']);
  cleanup.add(`raw node:http server ${proc.pid}`, () => stopChild(proc, 2_000));
  const port = await firstLine(proc);
  return { origin: `http://127.0.0.1:${port}`, pid: proc.pid! };
}

async function firstLine(proc: ChildProcess): Promise<string> {
  const lines = readline.createInterface({ input: proc.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<string>((resolve) => lines.once('line', (line) => resolve(line.trim()))),
      exited(proc).then(() => Promise.reject(new Error('the raw server exited at start'))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the raw server did not start')),
          START_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    lines.close();
    proc.stdout!.resume(); // closing readline paused the pipe; a paused pipe could block the child
  }
}

export function rawHttpSummary(raw: RawHttpServer | { reason: string }): PeerSummary {
  const common = { name: 'raw-http', durability: 'none', address: 'local child' } as const;
  if ('reason' in raw)
    return {
      ...common,
      status: 'skipped',
      reason: raw.reason,
      durabilityNote: '',
      serverWatch: 'n/a',
    };
  return {
    ...common,
    status: 'ok',
    version: `node:http (bench/http/raw-server.ts), Node ${process.version}`,
    durabilityNote: 'stores nothing: the HTTP ceiling',
    serverWatch: `own child pid ${raw.pid} (VmHWM reset per row)`,
  };
}
