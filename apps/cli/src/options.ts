// Command-line options: every command's own (node:util parseArgs, strict) plus the global
// ones, and the small parsers for their values. A bad option or value is a UsageError: the
// CLI prints it with the command's usage and exits 1.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  url: { type: 'string' },
  key: { type: 'string' },
  profile: { type: 'string' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_HELP = `Connection (a flag wins over the environment, which wins over a profile):
  --url <url>         the node's URL (TRIBUTARY_URL; default http://localhost:8080)
  --key <key>         a tenant API key (TRIBUTARY_API_KEY)
  --profile <name>    a profile of the config file (TRIBUTARY_PROFILE; default "default")
  --progress          progress and rates on stderr even when it is not a terminal
  -h, --help          this help`;

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
}

export function parseOptions(args: string[], options: OptionSpecs): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function intOption(
  values: Values,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  return parseInteger(raw, `--${name}`, bounds);
}

export function parseInteger(
  raw: string,
  what: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${what}: ${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/** `k=v` pairs (the first = splits); `k=` is an empty value. */
export function parsePairs(pairs: string[], what: string): [string, string][] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${what}: ${JSON.stringify(pair)} is not key=value`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

/** One of `choices`, or the default. */
export function choiceOption<T extends string>(
  values: Values,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: one of ${choices.join(', ')}, not ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** Exactly the positionals named (e.g. ['topic']), else a UsageError. */
export function positionals(parsed: Parsed, names: string[]): string[] {
  if (parsed.positionals.length !== names.length) {
    const want = names.map((n) => `<${n}>`).join(' ') || 'no arguments';
    const got = parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ');
    throw new UsageError(`expected ${want}, got ${got}`);
  }
  return parsed.positionals;
}

export type Position = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

/**
 * A place in a partition: beginning (earliest), end (latest), an offset, or a time: an ISO
 * 8601 date or date-time (2025-01-31, 2025-01-31T12:00:00Z) or @<ms since the epoch>.
 */
export function parsePosition(raw: string, what: string): Position {
  if (raw === 'beginning' || raw === 'earliest') return 'earliest';
  if (raw === 'end' || raw === 'latest') return 'latest';
  if (/^\d+$/.test(raw)) return { offset: parseInteger(raw, what) };
  if (/^@\d+$/.test(raw)) return { timestamp: parseInteger(raw.slice(1), what) };
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${what}: beginning, end, an offset, or a time (2025-01-31T12:00:00Z or @<ms>), not ${JSON.stringify(raw)}`,
    );
  }
  return { timestamp: ms };
}
