// A real node on a free port for HTTP tests: its own data dir and its own database (a fresh
// Postgres schema or a fresh embedded PGlite), a silent logger, and a small fetch-based client.
import * as path from 'node:path';
import { loadNodeConfig } from '@tributary/common';
import {
  type DatabaseKind,
  prepareTestDatabase,
  type TestDatabaseTarget,
} from '@tributary/metadata';
import pino from 'pino';
import { testRedis } from '../../../test/support/redis';
import { type NodeOptions, type RunningNode, startNode } from '../../broker/src/node';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as is, with its own content type. */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async call(method: string, route: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(this.baseUrl + route, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  get = (route: string, options?: CallOptions) => this.call('GET', route, options);
  post = (route: string, options?: CallOptions) => this.call('POST', route, options);
  patch = (route: string, options?: CallOptions) => this.call('PATCH', route, options);
  delete = (route: string, options?: CallOptions) => this.call('DELETE', route, options);
}

export interface TestNode {
  node: RunningNode;
  api: Api;
  admin: string;
  target: TestDatabaseTarget;
  dataDir: string;
  /** Stops the node cleanly and starts it again on the same data dir and database. */
  restart(): Promise<void>;
  /** Creates a tenant with an all-powerful key; returns the key. */
  tenant(name: string, quotas?: Record<string, number>): Promise<string>;
  cleanup(): Promise<void>;
}

export interface TestNodeSetup {
  /** Redis: the real Redis of the machine under a key prefix of this node's own. */
  coordination?: 'in-process' | 'redis';
  /** Origins allowed to open WebSockets from a browser. */
  allowedOrigins?: string[];
}

export async function startTestNode(
  kind: DatabaseKind,
  options: Partial<NodeOptions> = {},
  setup: TestNodeSetup = {},
): Promise<TestNode> {
  const target = await prepareTestDatabase(kind);
  const dataDir = target.options.dataDir;
  const redis = setup.coordination === 'redis' ? testRedis() : undefined;
  const config = {
    ...loadNodeConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, TRIBUTARY_RPC_PORT: '0' }),
    ...(target.options.databaseUrl === undefined
      ? {}
      : { databaseUrl: target.options.databaseUrl }),
    ...(redis === undefined ? {} : { redisUrl: redis.url, redisKeyPrefix: redis.keyPrefix }),
    ...(setup.allowedOrigins === undefined ? {} : { allowedOrigins: setup.allowedOrigins }),
  };
  const start = () =>
    startNode(config, {
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      ...(target.options.schema === undefined ? {} : { databaseSchema: target.options.schema }),
      onFatal: (error) => {
        throw error;
      },
      ...options,
    });
  let node = await start();
  const handle: TestNode = {
    node,
    api: new Api(node.url),
    admin: node.adminToken,
    target,
    dataDir,
    async restart() {
      await node.close();
      node = await start();
      handle.node = node;
      handle.api = new Api(node.url);
    },
    async tenant(name, quotas) {
      const created = await handle.api.post('/v1/admin/tenants', {
        token: handle.admin,
        body: { name, ...(quotas === undefined ? {} : { quotas }) },
      });
      if (created.status !== 201) throw new Error(`tenant ${name}: ${created.text}`);
      const key = await handle.api.post(`/v1/admin/tenants/${name}/keys`, {
        token: handle.admin,
        body: { name: 'all' },
      });
      if (key.status !== 201) throw new Error(`key for ${name}: ${key.text}`);
      return key.body.key as string;
    },
    async cleanup() {
      await node.close();
      await target.cleanup();
      await redis?.cleanup();
    },
  };
  return handle;
}

export function logDir(dataDir: string): string {
  return path.join(dataDir, 'logs');
}
