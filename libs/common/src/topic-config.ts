// Topic-level settings under Kafka's names, validated in one place. Values arrive as strings
// (Kafka's AlterConfigs carries strings) or numbers; a bad name or value is INVALID_CONFIG with a
// message naming the setting.
import { BrokerError } from './errors';
import { LIMITS } from './limits';

export interface TopicConfig {
  'retention.ms': number;
  'retention.bytes': number;
  'segment.bytes': number;
  'segment.ms': number;
  'max.message.bytes': number;
  'cleanup.policy': 'delete';
  'min.insync.replicas': number;
  durability: 'fsync' | 'replicated';
  /** With `replicated` durability: fdatasync at least this often (-1: leave it to the OS). */
  'flush.ms': number;
}

export const TOPIC_CONFIG_DEFAULTS: Readonly<TopicConfig> = {
  'retention.ms': 7 * 24 * 3600 * 1000,
  'retention.bytes': -1,
  'segment.bytes': 1024 * 1024 * 1024,
  'segment.ms': 7 * 24 * 3600 * 1000,
  'max.message.bytes': 1024 * 1024 + 12,
  'cleanup.policy': 'delete',
  'min.insync.replicas': 1,
  durability: 'fsync',
  'flush.ms': -1,
};

type Parser = (raw: string) => TopicConfig[keyof TopicConfig] | undefined;

function integer(min: number, max: number, allowMinusOne = false): Parser {
  return (raw) => {
    if (!/^-?\d+$/.test(raw)) return undefined;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) return undefined;
    if (allowMinusOne && value === -1) return value;
    return value >= min && value <= max ? value : undefined;
  };
}

const PARSERS: Record<keyof TopicConfig, { parse: Parser; expected: string }> = {
  'retention.ms': {
    parse: integer(1, Number.MAX_SAFE_INTEGER, true),
    expected: '-1 or a positive integer',
  },
  'retention.bytes': {
    parse: integer(0, Number.MAX_SAFE_INTEGER, true),
    expected: '-1 or an integer >= 0',
  },
  'segment.bytes': {
    parse: integer(LIMITS.segmentBytesMin, 0x7fffffff),
    expected: `an integer from ${LIMITS.segmentBytesMin} to 2147483647`,
  },
  'segment.ms': { parse: integer(1, Number.MAX_SAFE_INTEGER), expected: 'a positive integer' },
  'max.message.bytes': {
    parse: integer(64, LIMITS.messageBytesCeiling),
    expected: `an integer from 64 to ${LIMITS.messageBytesCeiling}`,
  },
  'cleanup.policy': {
    parse: (raw) => (raw === 'delete' ? 'delete' : undefined),
    expected: '"delete" (compaction is not offered)',
  },
  'min.insync.replicas': { parse: integer(1, 16), expected: 'an integer from 1 to 16' },
  durability: {
    parse: (raw) => (raw === 'fsync' || raw === 'replicated' ? raw : undefined),
    expected: '"fsync" or "replicated"',
  },
  'flush.ms': {
    parse: integer(1, Number.MAX_SAFE_INTEGER, true),
    expected: '-1 or a positive integer',
  },
};

export const TOPIC_CONFIG_NAMES = Object.keys(PARSERS) as (keyof TopicConfig)[];

function isConfigName(name: string): name is keyof TopicConfig {
  return Object.prototype.hasOwnProperty.call(PARSERS, name);
}

/**
 * Validates settings given by a user; returns them normalized to strings (what is stored) so
 * that only explicitly set names are kept.
 */
export function validateTopicConfigs(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new BrokerError('INVALID_CONFIG', 'configs must be an object of setting name to value');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (!isConfigName(name)) {
      throw new BrokerError(
        'INVALID_CONFIG',
        `unknown topic setting ${JSON.stringify(name)}; known: ${TOPIC_CONFIG_NAMES.join(', ')}`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BrokerError('INVALID_CONFIG', `${name} must be a string or a number`);
    }
    const raw = String(value).trim();
    if (PARSERS[name].parse(raw) === undefined) {
      throw new BrokerError(
        'INVALID_CONFIG',
        `${name} must be ${PARSERS[name].expected}, got ${JSON.stringify(value)}`,
      );
    }
    out[name] = raw;
  }
  return out;
}

/** The effective configuration: defaults overlaid with stored (already valid) settings. */
export function resolveTopicConfig(stored: Record<string, string>): TopicConfig {
  const config: Record<string, unknown> = { ...TOPIC_CONFIG_DEFAULTS };
  for (const [name, raw] of Object.entries(stored)) {
    if (!isConfigName(name)) continue;
    const value = PARSERS[name].parse(raw);
    if (value !== undefined) config[name] = value;
  }
  return config as unknown as TopicConfig;
}
