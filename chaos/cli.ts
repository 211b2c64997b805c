// The chaos run's command line. Anything unknown or out of range is refused with the usage,
// before anything is started.

export interface ChaosOptions {
  minutes: number;
  seed: number;
  nodes: number;
  /** Where result.json, timeline.html and the node logs go. */
  outDir: string;
  sessionMs: number;
  replicaLagMs: number;
}

export const DEFAULTS = {
  minutes: 10,
  nodes: 3,
  outDir: 'chaos/results/latest',
  sessionMs: 3_000,
  replicaLagMs: 5_000,
} as const;

export const USAGE = `usage: npm run chaos -- [--minutes <m>] [--seed <n>] [--nodes <3-5>] [--out <dir>]
                        [--session-ms <ms>] [--replica-lag-ms <ms>]

  --minutes         how long faults are injected (default ${DEFAULTS.minutes}; fractions allowed)
  --seed            the seed of the fault schedule and the clients' choices (default: random,
                    printed, so the schedule can be replayed)
  --nodes           cluster size, 3 to 5 (default ${DEFAULTS.nodes})
  --out             result.json, timeline.html and node logs (default ${DEFAULTS.outDir})
  --session-ms      TRIBUTARY_BROKER_SESSION_MS of every node (default ${DEFAULTS.sessionMs})
  --replica-lag-ms  TRIBUTARY_REPLICA_LAG_MS of every node (default ${DEFAULTS.replicaLagMs})

exit code: 0 no violation, 1 violations found, 2 the run itself failed, 3 the cluster did not
heal at the end (no leader or no full ISR somewhere)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function number(flag: string, raw: string, min: number, max: number, integer: boolean): number {
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new UsageError(
      `${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
    );
  }
  return value;
}

export function parseArgs(
  argv: readonly string[],
  randomSeed: () => number,
): ChaosOptions | 'help' {
  const options: ChaosOptions = { ...DEFAULTS, seed: 0 };
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    switch (arg) {
      case '--minutes':
        options.minutes = number(arg, value, 0.05, 24 * 60, false);
        break;
      case '--seed':
        seed = number(arg, value, 1, 2 ** 31 - 1, true);
        break;
      case '--nodes':
        options.nodes = number(arg, value, 3, 5, true);
        break;
      case '--out':
        options.outDir = value;
        break;
      case '--session-ms':
        options.sessionMs = number(arg, value, 300, 60_000, true);
        break;
      case '--replica-lag-ms':
        options.replicaLagMs = number(arg, value, 100, 600_000, true);
        break;
      default:
        throw new UsageError(`unknown flag ${arg}`);
    }
  }
  options.seed = seed ?? randomSeed();
  return options;
}
