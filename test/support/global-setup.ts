// Jest globalSetup: the tests talk to real PostgreSQL and Redis (STYLE.md), so check both are
// reachable before any test starts and fail the run with one clear message naming what is
// missing, instead of a hundred timeouts.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Client } from 'pg';

const POSTGRES_URL_DEFAULT = 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL_DEFAULT = 'redis://127.0.0.1:6379';
const TIMEOUT_MS = 5_000;

export default async function globalSetup(): Promise<void> {
  const postgresUrl = process.env.TEST_DATABASE_URL ?? POSTGRES_URL_DEFAULT;
  const redisUrl = process.env.TEST_REDIS_URL ?? REDIS_URL_DEFAULT;
  const problems = await Promise.all([
    checkPostgres(postgresUrl).then(
      () => undefined,
      (error: unknown) =>
        `Tests need PostgreSQL at ${redact(postgresUrl)} (set TEST_DATABASE_URL): ${reason(error)}`,
    ),
    checkRedis(redisUrl).then(
      () => undefined,
      (error: unknown) =>
        `Tests need Redis at ${redact(redisUrl)} (set TEST_REDIS_URL): ${reason(error)}`,
    ),
  ]);
  const missing = problems.filter((p): p is string => p !== undefined);
  if (missing.length > 0) throw new Error(missing.join('\n'));
}

async function checkPostgres(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  await tcpConnect(hostname || '127.0.0.1', Number(port || 5432));
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  await client.connect();
  try {
    await client.query('select 1');
  } finally {
    await client.end();
  }
}

/** PING over plain RESP (AUTH first when the URL carries a password); no client library. */
async function checkRedis(url: string): Promise<void> {
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 6379);
  const commands: string[][] = [];
  if (parsed.password !== '') {
    const password = decodeURIComponent(parsed.password);
    commands.push(
      parsed.username === ''
        ? ['AUTH', password]
        : ['AUTH', decodeURIComponent(parsed.username), password],
    );
  }
  commands.push(['PING']);
  const socket =
    parsed.protocol === 'rediss:'
      ? tls.connect({ host, port, servername: host })
      : net.connect({ host, port });
  const replies = await exchange(socket, commands.map(encodeCommand).join(''), commands.length);
  for (const reply of replies) {
    if (reply.startsWith('-')) throw new Error(`Redis answered ${reply.slice(1)}`);
  }
  if (replies.at(-1) !== '+PONG') throw new Error(`Redis answered ${replies.at(-1)} to PING`);
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Writes the request and collects `count` single-line replies. */
function exchange(socket: net.Socket, request: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const finish = (error?: Error, replies?: string[]) => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(replies ?? []);
    };
    socket.setEncoding('utf8');
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => socket.write(request));
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\r\n').slice(0, -1);
      if (lines.length >= count) finish(undefined, lines.slice(0, count));
    });
    socket.once('close', () => finish(new Error('connection closed before the answer')));
  });
}

function tcpConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} in ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port} (${error.message})`));
    });
  });
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
