// Child process of the storage crash test: appends batches with `fsync` durability as fast as
// it can, several in flight, and prints one line per acknowledged batch:
//   ack <baseOffset> <lastOffset> <value,value,...>
// until the parent kills it with SIGKILL.
import { encodeRecordBatch } from '@tributary/protocol';
import { DEFAULT_LOG_CONFIG, LogManager } from '@tributary/storage';

const IN_FLIGHT = 8;

async function main(): Promise<void> {
  const [dataDir, round] = process.argv.slice(2);
  if (dataDir === undefined || round === undefined)
    throw new Error('usage: child <dataDir> <round>');
  const manager = await LogManager.open({
    dataDir,
    retentionCheckIntervalMs: 0,
    checkpointIntervalMs: 50,
  });
  const log = await manager.openLog('crash-0', {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: 16 * 1024,
    indexIntervalBytes: 512,
  });
  process.stdout.write(`ready ${log.logEndOffset}\n`);
  let seq = 0;
  const appendOne = async (): Promise<void> => {
    const count = 1 + (seq % 5);
    const values = Array.from({ length: count }, () => `r${round}-${seq++}`);
    const batch = encodeRecordBatch(
      values.map((v) => ({ key: null, value: Buffer.from(v) })),
      { defaultTimestampMs: Date.now() },
    );
    const result = await log.append(batch);
    process.stdout.write(`ack ${result.baseOffset} ${result.lastOffset} ${values.join(',')}\n`);
  };
  const worker = async (): Promise<void> => {
    for (;;) await appendOne();
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
