// The node's settings, read from environment variables and validated once at start-up into a
// typed object. A bad value stops the process with a message naming the variable.

export interface NodeConfig {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: embedded PGlite under DATA_DIR. */
  databaseUrl: string | undefined;
  /** Unset: in-process coordination. */
  redisUrl: string | undefined;
  /** Put before every Redis key, so that several deployments can share one Redis. */
  redisKeyPrefix: string;
  adminToken: string | undefined;
  /** Origins allowed to open WebSockets from a browser (TRIBUTARY_ALLOWED_ORIGINS, comma-separated). */
  allowedOrigins: string[];
  nodeId: number;
  /** The internal RPC's port (a node with REDIS_URL listens on it). */
  rpcPort: number;
  /**
   * The RPC port the other nodes are told to use (TRIBUTARY_ADVERTISED_RPC_PORT); undefined: the
   * port the node listens on. Differs when something forwards to the node, e.g. a proxy.
   */
  advertisedRpcPort: number | undefined;
  /** How the other nodes reach this one (TRIBUTARY_ADVERTISED_HOST). */
  advertisedHost: string;
  /** A node silent this long loses its leaderships (TRIBUTARY_BROKER_SESSION_MS). */
  brokerSessionMs: number;
  /** A follower behind this long leaves the ISR (TRIBUTARY_REPLICA_LAG_MS). */
  replicaLagMs: number;
  /** Preferred leaders take their partitions back by themselves (TRIBUTARY_AUTO_LEADER_REBALANCE). */
  autoLeaderRebalance: boolean;
  /** How long a stopping node waits for its leaderships to move (TRIBUTARY_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

function origins(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(trimmed);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== trimmed) {
      throw new ConfigError(
        'TRIBUTARY_ALLOWED_ORIGINS',
        `${JSON.stringify(trimmed)} is not an origin like https://app.example.com`,
      );
    }
    return trimmed;
  });
}

function redisKeyPrefix(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'tributary:';
  if (!/^[\w.:-]{1,64}$/.test(raw)) {
    throw new ConfigError(
      'TRIBUTARY_REDIS_PREFIX',
      'must be 1-64 characters of letters, digits, _ . : -',
    );
  }
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 0 || value > 65535) {
    throw new ConfigError(
      name,
      `must be a port number from 0 to 65535, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function milliseconds(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(
      name,
      `must be a number of milliseconds from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigError(name, `must be true or false, got ${JSON.stringify(raw)}`);
  }
  return raw === 'true';
}

function advertisedRpcPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TRIBUTARY_ADVERTISED_RPC_PORT;
  if (raw === undefined || raw === '') return undefined;
  const value = port(env, 'TRIBUTARY_ADVERTISED_RPC_PORT', 0);
  // 0 means "any free port" for a listener; nobody can be told to connect to it.
  if (value === 0)
    throw new ConfigError('TRIBUTARY_ADVERTISED_RPC_PORT', 'must be from 1 to 65535');
  return value;
}

function advertisedHost(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(raw)) {
    throw new ConfigError(
      'TRIBUTARY_ADVERTISED_HOST',
      `must be a host name or address, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

export function loadNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const nodeIdRaw = env.TRIBUTARY_NODE_ID ?? '1';
  if (!/^\d+$/.test(nodeIdRaw) || Number(nodeIdRaw) < 1 || Number(nodeIdRaw) > 2 ** 31 - 1) {
    throw new ConfigError(
      'TRIBUTARY_NODE_ID',
      `must be a positive integer, got ${JSON.stringify(nodeIdRaw)}`,
    );
  }
  const logLevel = env.TRIBUTARY_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('TRIBUTARY_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const adminToken = env.TRIBUTARY_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) {
    throw new ConfigError('TRIBUTARY_ADMIN_TOKEN', 'must be at least 16 characters');
  }
  const dataDir = env.DATA_DIR ?? './data';
  if (dataDir === '') throw new ConfigError('DATA_DIR', 'must not be empty');
  return {
    port: port(env, 'PORT', 8080),
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: redisKeyPrefix(env.TRIBUTARY_REDIS_PREFIX),
    adminToken: adminToken === '' ? undefined : adminToken,
    allowedOrigins: origins(env.TRIBUTARY_ALLOWED_ORIGINS),
    nodeId: Number(nodeIdRaw),
    rpcPort: port(env, 'TRIBUTARY_RPC_PORT', 9093),
    advertisedRpcPort: advertisedRpcPort(env),
    advertisedHost: advertisedHost(env.TRIBUTARY_ADVERTISED_HOST),
    brokerSessionMs: milliseconds(env, 'TRIBUTARY_BROKER_SESSION_MS', 6_000, 300, 600_000),
    replicaLagMs: milliseconds(env, 'TRIBUTARY_REPLICA_LAG_MS', 10_000, 100, 3_600_000),
    autoLeaderRebalance: flag(env, 'TRIBUTARY_AUTO_LEADER_REBALANCE', true),
    shutdownTimeoutMs: milliseconds(env, 'TRIBUTARY_SHUTDOWN_TIMEOUT_MS', 30_000, 0, 600_000),
    logLevel: logLevel as NodeConfig['logLevel'],
  };
}
