// The runner's command line: `npm run bench [-- --quick | --tiny] [--out <dir>] [--only a,b]
// [--baseline <json>]`.
// Anything else is refused with the usage, before anything is built or started.
import { type Mode } from './plan';

export const SCENARIO_IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/**
 * What runs without --only. The full and quick runs have every scenario; --tiny (the runner's
 * own test) keeps to a–e and i, whose output the test pins; `--tiny --only f,g,h` runs the others.
 */
export const DEFAULT_SCENARIOS: Readonly<Record<Mode, readonly ScenarioId[]>> = {
  full: SCENARIO_IDS,
  quick: SCENARIO_IDS,
  tiny: ['a', 'b', 'c', 'd', 'e', 'i'],
};

export interface CliOptions {
  mode: Mode;
  /** Where the JSON and the HTML go; undefined: the repository's (full) or a scratch dir. */
  outDir: string | undefined;
  scenarios: readonly ScenarioId[];
  /** An earlier run's JSON, shown beside this one ("Before and after"). */
  baseline: string | undefined;
  help: boolean;
}

export const USAGE = `usage: npm run bench [-- [--quick | --tiny] [--out <dir>] [--only <ids>] [--baseline <json>]]

  (no flag)     the full run: bench/results/<timestamp>.json and bench/report.html
  --quick       a short run (about 2 minutes on 2 cores), same scenarios, fewer seconds
  --tiny        a few seconds, for the runner's own test; figures are meaningless
                (scenarios a-e and i unless --only says otherwise)
  --out <dir>   write <timestamp>.json and report.html into <dir> instead
  --only <ids>  comma-separated scenarios among ${SCENARIO_IDS.join(',')} (default: all)
  --baseline <json>
                an earlier run's bench/results/<timestamp>.json: the report shows it beside
                this run, row by row ("Before and after")
  --help        this text

scenarios: a batched produce, b single-record produce, c catch-up (REST, WebSocket),
  d produce -> WebSocket latency at fixed rates, e storage engine vs raw disk,
  f consumer group REST poll, g group rebalance time, h produce -> group subscription latency,
  i footprint: start-up time (empty data dir, 1,000 partitions), idle and peak RSS

environment: NATS_URL (default nats://127.0.0.1:4222), REDIS_URL (default redis://127.0.0.1:6379),
  BENCH_NODE_ARGS (Node flags for the node under test, e.g. --cpu-prof --cpu-prof-dir=<dir>)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): CliOptions {
  let mode: Mode = 'full';
  let modeFlag: string | undefined;
  let outDir: string | undefined;
  let scenarios: readonly ScenarioId[] | undefined;
  let baseline: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--quick':
      case '--tiny':
        if (modeFlag !== undefined && modeFlag !== arg)
          throw new UsageError(`${modeFlag} and ${arg} exclude each other`);
        modeFlag = arg;
        mode = arg === '--quick' ? 'quick' : 'tiny';
        break;
      case '--out':
        outDir = value();
        break;
      case '--only':
        scenarios = parseScenarioList(value());
        break;
      case '--baseline':
        baseline = value();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return { mode, outDir, scenarios: scenarios ?? DEFAULT_SCENARIOS[mode], baseline, help };
}

function parseScenarioList(list: string): ScenarioId[] {
  const ids = list.split(',').map((s) => s.trim());
  const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0)
    throw new UsageError(`--only takes ${SCENARIO_IDS.join(',')}; got ${JSON.stringify(list)}`);
  return SCENARIO_IDS.filter((id) => ids.includes(id));
}
