// The service as `npm start` runs it (dist/apps/broker/src/main.js) in a child process, for
// cross-process tests: started with the given environment, ready when it logs its URL.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { distScript } from './dist';

export interface ServiceProcess {
  proc: ChildProcessWithoutNullStreams;
  /** The URL the service logged when it was ready. */
  url: string;
  exited: Promise<void>;
}

/**
 * Starts the service; resolves once it is ready, fails if it exits first or takes 60 s.
 * `onLog` sees every log entry it writes before then.
 */
export async function startService(
  env: NodeJS.ProcessEnv,
  cwd?: string,
  onLog?: (entry: { msg?: string }) => void,
): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, [distScript('apps/broker/src/main.js')], {
    env,
    ...(cwd === undefined ? {} : { cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const lines = readline.createInterface({ input: proc.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    // A start that takes too long is ended: the process must not hold its data dir's lock.
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`service did not start within 60 s: ${stderr}`));
    }, 60_000);
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      onLog?.(entry);
      if (entry.msg === 'tributary is ready' && entry.url !== undefined) {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`service exited before it was ready: ${stderr}`));
    });
  });
  return { proc, url, exited };
}

export interface ServiceReply {
  status: number;
  /** The parsed JSON answer; undefined when it has none. */
  body: any;
  headers: Headers;
}

/** One JSON call with a bearer token, bounded at 30 s. */
export async function callService(
  url: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ServiceReply> {
  const response = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}
