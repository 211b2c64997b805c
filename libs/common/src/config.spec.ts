import { loadNodeConfig } from './config';

describe('node config', () => {
  it('applies the documented defaults', () => {
    expect(loadNodeConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: './data',
      databaseUrl: undefined,
      redisUrl: undefined,
      redisKeyPrefix: 'tributary:',
      adminToken: undefined,
      allowedOrigins: [],
      nodeId: 1,
      rpcPort: 9093,
      advertisedRpcPort: undefined,
      advertisedHost: '127.0.0.1',
      brokerSessionMs: 6_000,
      replicaLagMs: 10_000,
      autoLeaderRebalance: true,
      shutdownTimeoutMs: 30_000,
      logLevel: 'info',
    });
  });

  it('reads the cluster settings, and refuses bad ones naming the variable', () => {
    expect(
      loadNodeConfig({
        TRIBUTARY_RPC_PORT: '19093',
        TRIBUTARY_ADVERTISED_HOST: 'node-2.internal',
        TRIBUTARY_ADVERTISED_RPC_PORT: '29093',
        TRIBUTARY_BROKER_SESSION_MS: '3000',
        TRIBUTARY_REPLICA_LAG_MS: '5000',
        TRIBUTARY_AUTO_LEADER_REBALANCE: 'false',
        TRIBUTARY_SHUTDOWN_TIMEOUT_MS: '0',
      }),
    ).toMatchObject({
      rpcPort: 19093,
      advertisedHost: 'node-2.internal',
      advertisedRpcPort: 29093,
      brokerSessionMs: 3000,
      replicaLagMs: 5000,
      autoLeaderRebalance: false,
      shutdownTimeoutMs: 0,
    });
    expect(() => loadNodeConfig({ TRIBUTARY_AUTO_LEADER_REBALANCE: 'yes' })).toThrow(
      /TRIBUTARY_AUTO_LEADER_REBALANCE/,
    );
    expect(() => loadNodeConfig({ TRIBUTARY_BROKER_SESSION_MS: '5s' })).toThrow(
      /TRIBUTARY_BROKER_SESSION_MS/,
    );
    expect(() => loadNodeConfig({ TRIBUTARY_REPLICA_LAG_MS: '10' })).toThrow(
      /TRIBUTARY_REPLICA_LAG_MS/,
    );
    expect(() => loadNodeConfig({ TRIBUTARY_ADVERTISED_HOST: 'bad host' })).toThrow(
      /TRIBUTARY_ADVERTISED_HOST/,
    );
  });

  it('reads the Redis key prefix and the allowed origins', () => {
    const config = loadNodeConfig({
      TRIBUTARY_REDIS_PREFIX: 'prod-1:',
      TRIBUTARY_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:3000',
    });
    expect(config.redisKeyPrefix).toBe('prod-1:');
    expect(config.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
  });

  it.each([
    [{ PORT: 'http' }, /^PORT: must be a port number/],
    [{ PORT: '70000' }, /^PORT:/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must use postgres:/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: must be a URL/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL:/],
    [{ TRIBUTARY_NODE_ID: '0' }, /^TRIBUTARY_NODE_ID:/],
    [{ TRIBUTARY_LOG_LEVEL: 'loud' }, /^TRIBUTARY_LOG_LEVEL:/],
    [{ TRIBUTARY_ADMIN_TOKEN: 'short' }, /^TRIBUTARY_ADMIN_TOKEN:/],
    [{ DATA_DIR: '' }, /^DATA_DIR:/],
    [{ TRIBUTARY_ADVERTISED_RPC_PORT: '0' }, /^TRIBUTARY_ADVERTISED_RPC_PORT:/],
    [{ TRIBUTARY_ADVERTISED_RPC_PORT: '65536' }, /^TRIBUTARY_ADVERTISED_RPC_PORT:/],
    [{ TRIBUTARY_REDIS_PREFIX: 'has space' }, /^TRIBUTARY_REDIS_PREFIX:/],
    [
      { TRIBUTARY_ALLOWED_ORIGINS: 'https://ok.example.com,not-an-origin' },
      /^TRIBUTARY_ALLOWED_ORIGINS:/,
    ],
    [{ TRIBUTARY_ALLOWED_ORIGINS: 'https://app.example.com/path' }, /^TRIBUTARY_ALLOWED_ORIGINS:/],
  ])('names the variable in error for %j', (env, message) => {
    expect(() => loadNodeConfig(env)).toThrow(message);
  });
});
