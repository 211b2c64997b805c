// The Tributary node under test, started from this repository as `npm start` would start it
// (dist/apps/broker/src/main.js): standalone, embedded PGlite (DATABASE_URL unset), in-process
// coordination (REDIS_URL unset — the peers' REDIS_URL must not leak into it), a fresh
// DATA_DIR, a known operator token, a port of its choosing (PORT=0); pinned to the server core.
// Its URL comes from the log line it writes when it listens (as test/support/service-process.ts
// reads it); it is ready when /readyz then answers 200.
import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { exited, spawnPinned, stopChild } from '../common/processes';
import { api } from '../common/tributary-http';
import { type Cleanup } from './cleanup';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;
const OUTPUT_TAIL_BYTES = 8192;
const TENANT = 'bench';

/**
 * The end of the node's output (for error messages), fed from both pipes — which must keep
 * flowing: a node blocked on a full stdout pipe would stall the bench.
 */
class OutputTail {
  private text = '';
  private partial = '';
  private readonly lineHandlers: ((line: string) => void)[] = [];

  constructor(proc: ChildProcess) {
    proc.stdout!.on('data', (chunk: Buffer) => this.add(chunk.toString(), true));
    proc.stderr!.on('data', (chunk: Buffer) => this.add(chunk.toString(), false));
  }

  onLine(handler: (line: string) => void): void {
    this.lineHandlers.push(handler);
  }

  lastLines(count = 5): string {
    return this.text.trim().split('\n').slice(-count).join('\n');
  }

  private add(text: string, stdout: boolean): void {
    this.text = (this.text + text).slice(-OUTPUT_TAIL_BYTES);
    if (!stdout) return;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!.slice(-OUTPUT_TAIL_BYTES);
    for (const line of lines) for (const handler of this.lineHandlers) handler(line);
  }
}

/** The URL from the node's "tributary is ready" log line; fails if it exits or takes too long. */
function listeningUrl(proc: ChildProcess, output: OutputTail): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the node did not listen within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    output.onLine((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg !== 'tributary is ready' || entry.url === undefined) return;
        clearTimeout(timer);
        resolve(entry.url);
      } catch {
        // not a log line of ours
      }
    });
    void exited(proc).then(() => {
      clearTimeout(timer);
      reject(new Error(`the node exited before it listened: ${output.lastLines()}`));
    });
  });
}

export class TributaryNode {
  /** The tenant API key the scenarios use. */
  key = '';

  private constructor(
    readonly origin: string,
    private readonly proc: ChildProcess,
    private readonly output: OutputTail,
    /** Stops the node now (SIGTERM, then SIGKILL after the grace) and forgets its cleanup. */
    readonly stop: () => Promise<void>,
  ) {}

  get pid(): number {
    return this.proc.pid!;
  }

  /** A ready node with the bench tenant and its key. */
  static async start(
    dataDir: string,
    core: number,
    adminToken: string,
    cleanup: Cleanup,
  ): Promise<TributaryNode> {
    const node = await TributaryNode.launch(dataDir, core, adminToken, cleanup);
    await api(node.origin, 'POST', '/v1/admin/tenants', adminToken, { name: TENANT });
    const created = await api(node.origin, 'POST', `/v1/admin/tenants/${TENANT}/keys`, adminToken, {
      name: 'bench',
    });
    node.key = created.key as string;
    assert(node.key.length > 0, 'no API key in the answer');
    return node;
  }

  /** Starts the node and returns once /readyz answers 200 (polled every `pollMs`). */
  static async launch(
    dataDir: string,
    core: number,
    adminToken: string,
    cleanup: Cleanup,
    pollMs = 100,
  ): Promise<TributaryNode> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      TRIBUTARY_ADMIN_TOKEN: adminToken,
      TRIBUTARY_LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const main = path.join(__dirname, '..', '..', 'apps', 'broker', 'src', 'main.js');
    // BENCH_NODE_ARGS: Node flags for the node under test, for profiling it where it runs
    // (`--cpu-prof --cpu-prof-dir=<dir>`, which NODE_OPTIONS does not take).
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const proc = spawnPinned(core, [...nodeArgs, main], env, ['ignore', 'pipe', 'pipe']);
    const output = new OutputTail(proc);
    const stop = cleanup.add(`tributary node ${proc.pid}`, () => stopChild(proc, STOP_GRACE_MS));
    const node = new TributaryNode(await listeningUrl(proc, output), proc, output, stop);
    await node.waitReady(pollMs);
    return node;
  }

  /** /readyz: storage, metadata and coordination ready (the URL is logged a moment before). */
  private async waitReady(pollMs: number): Promise<void> {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    const gone = exited(this.proc).then(() => 'exited' as const);
    while (performance.now() < deadline) {
      const probe = fetch(`${this.origin}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      const status = await Promise.race([probe, gone]);
      if (status === 200) return;
      if (status === 'exited')
        throw new Error(`the node exited before it was ready: ${this.output.lastLines()}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    throw new Error(
      `the node was not ready within ${READY_TIMEOUT_MS / 1000} s: ${this.output.lastLines()}`,
    );
  }

  async createTopic(name: string, partitions: number, durability: 'fsync' | 'replicated') {
    await api(this.origin, 'POST', '/v1/topics', this.key, {
      name,
      partitions,
      configs: { durability },
    });
  }

  /** Removes the topic with its data, so that a long run does not fill the disk. */
  async deleteTopic(name: string): Promise<void> {
    await api(this.origin, 'DELETE', `/v1/topics/${name}`, this.key);
  }

  /** The status GET `route` answers with this node's key (probing routes not built yet). */
  async statusOf(route: string): Promise<number> {
    const response = await fetch(this.origin + route, {
      headers: { authorization: `Bearer ${this.key}` },
    });
    await response.body?.cancel();
    return response.status;
  }
}
