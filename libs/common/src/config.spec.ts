import { loadNodeConfig } from './config';

describe('node config', () => {
  it('applies the documented defaults', () => {
    expect(loadNodeConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      dataDir: './data',
      databaseUrl: undefined,
      redisUrl: undefined,
      adminToken: undefined,
      nodeId: 1,
      rpcPort: 9092,
      logLevel: 'info',
    });
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
  ])('names the variable in error for %j', (env, message) => {
    expect(() => loadNodeConfig(env)).toThrow(message);
  });
});
