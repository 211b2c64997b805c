// `npm run chaos`: a fault run against a real cluster with a checker of what the clients were
// told. See cli.ts for the flags and exit codes, run.ts for the run, checker.ts for the checks.
import { Cleanup, cleanUpOnSignals } from '../bench/run/cleanup';
import { parseArgs, USAGE, UsageError } from './cli';
import { writeOutputs, terminalReport } from './result';
import { runChaos } from './run';

export const EXIT = { ok: 0, violations: 1, failed: 2, notHealed: 3 } as const;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv, () => Math.floor(Math.random() * 2 ** 31) + 1);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return EXIT.failed;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const options = parsed;
  const cleanup = new Cleanup();
  cleanUpOnSignals(cleanup);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(
    `chaos: seed ${options.seed}, ${options.nodes} nodes, ${options.minutes} min, broker session ${options.sessionMs} ms, replica lag ${options.replicaLagMs} ms, out ${options.outDir}`,
  );
  try {
    const { result, history } = await runChaos(options, { cleanup, log });
    await writeOutputs(result, history, options.outDir);
    log('');
    log(terminalReport(result, options.outDir));
    if (result.violations.total > 0) return EXIT.violations;
    return result.healed ? EXIT.ok : EXIT.notHealed;
  } catch (error) {
    process.stderr.write(
      `chaos run failed (seed ${options.seed}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  } finally {
    await cleanup.runAll();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
