// SIGKILL a process that appends with `fsync` durability at random moments, 50 times; after
// every recovery each acknowledged record is at its acknowledged offset, offsets are dense from
// the log start, no value appears twice, and every batch passes its CRC.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { decodeRecordBatches } from '@tributary/protocol';
import { DEFAULT_LOG_CONFIG, LogManager } from '@tributary/storage';
import { distScript } from '../support/dist';
import { seededRandom, testSeed } from '../support/random';

const ROUNDS = 50;
const seed = testSeed();

/** Resolves when the child has exited and its output is read; fails after `timeoutMs`. */
function finished(
  child: ChildProcess,
  lines: readline.Interface,
  timeoutMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`child did not exit within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  return Promise.race([Promise.all([exit, closed]).then(() => undefined), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

describe(`storage crash test (seed ${seed})`, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-crash-'));
  });
  afterAll(async () => {
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged record across ${ROUNDS} SIGKILLs`, async () => {
    const random = seededRandom(seed);
    const child = distScript('test/crash/storage-crash-child.js');
    const acked = new Map<number, string>(); // offset -> value
    let killsAfterReady = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const proc = spawn(process.execPath, [child, dataDir, String(round)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const lines = readline.createInterface({ input: proc.stdout });
      const done = finished(proc, lines, 30_000);
      // Most rounds kill while appends are in flight, after a random number of acknowledged
      // batches; some kill at a random moment of start-up and recovery, where no line marks
      // the moment (the delay is the experiment's variable, not a wait for an event).
      const duringStartup = random() < 0.2;
      const startupKillMs = Math.floor(random() * 60) + 1;
      const killAfterAcks = Math.floor(random() * 40) + 1;
      let acksThisRound = 0;
      let timer: NodeJS.Timeout | undefined;
      const kill = () => proc.kill('SIGKILL');
      if (duringStartup) timer = setTimeout(kill, startupKillMs);
      lines.on('line', (line) => {
        const [kind, a, b, list] = line.split(' ');
        if (kind === 'ready' && !duringStartup) killsAfterReady += 1;
        if (kind !== 'ack') return;
        if (!duringStartup && ++acksThisRound === killAfterAcks) kill();
        const values = list!.split(',');
        const base = Number(a);
        expect(Number(b) - base + 1).toBe(values.length);
        values.forEach((v, i) => acked.set(base + i, v));
      });
      await done.finally(() => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
      });
      expect({ round, signal: proc.signalCode, stderr }).toEqual({
        round,
        signal: 'SIGKILL',
        stderr: '',
      });

      const manager = await LogManager.open({
        dataDir,
        retentionCheckIntervalMs: 0,
        checkpointIntervalMs: 0,
      });
      try {
        const log = await manager.openLog('crash-0', {
          ...DEFAULT_LOG_CONFIG,
          segmentBytes: 16 * 1024,
          indexIntervalBytes: 512,
        });
        const found = new Map<number, string>();
        const seen = new Set<string>();
        let offset = log.logStartOffset;
        while (offset < log.highWatermark) {
          const read = await log.read(offset, 256 * 1024); // verifies every batch's CRC
          for (const batch of decodeRecordBatches(read.records)) {
            for (const record of batch.records) {
              if (record.offset < offset) continue;
              expect(record.offset).toBe(offset); // dense: no gap
              const value = record.value!.toString();
              expect(seen.has(value)).toBe(false); // no duplicate
              seen.add(value);
              found.set(record.offset, value);
              offset += 1;
            }
          }
          expect(read.nextOffset).toBe(offset);
        }
        expect(log.highWatermark).toBe(log.logEndOffset);
        for (const [ackedOffset, value] of acked) {
          if (found.get(ackedOffset) !== value) {
            throw new Error(
              `round ${round}: acknowledged ${value}@${ackedOffset} but found ${found.get(ackedOffset)}`,
            );
          }
        }
      } finally {
        await manager.close();
      }
    }
    expect(killsAfterReady).toBeGreaterThan(ROUNDS / 2);
    expect(acked.size).toBeGreaterThan(ROUNDS);
  }, 240_000);
});
