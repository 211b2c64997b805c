// `npm run cluster`: three nodes on this machine sharing the Postgres of DATABASE_URL and the
// Redis of REDIS_URL, HTTP on ports 8081-8083 and the internal RPC on 9094-9096, data under
// ./data/cluster/node-<id>. The operator token is TRIBUTARY_ADMIN_TOKEN, or one generated into
// ./data/cluster/admin-token. Each node's log lines are prefixed with its id, and its process
// id is in ./data/cluster/node-<id>.pid (to kill one and watch its leaderships move); Ctrl-C
// (SIGINT) or SIGTERM stops all three cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { loadAdminToken } from './admin-token';

const NODES = [1, 2, 3];
const root = path.resolve(process.env.CLUSTER_DATA_DIR ?? path.join('data', 'cluster'));

async function main(): Promise<void> {
  const missing = ['DATABASE_URL', 'REDIS_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    process.stderr.write(
      `npm run cluster: set ${missing.join(' and ')}: the nodes of a cluster share one Postgres ` +
        '(metadata) and one Redis (coordination), e.g.\n' +
        '  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tributary REDIS_URL=redis://127.0.0.1:6379 npm run cluster\n',
    );
    process.exit(2);
  }
  await fsp.mkdir(root, { recursive: true });
  const admin = await loadAdminToken(root, process.env.TRIBUTARY_ADMIN_TOKEN || undefined);
  const children = NODES.map((id) => startNode(id, admin.token));
  await Promise.all(
    children.map((child, i) =>
      fsp.writeFile(path.join(root, `node-${NODES[i]!}.pid`), `${child.pid ?? ''}\n`),
    ),
  );
  process.stdout.write(
    `cluster: nodes on http://127.0.0.1:8081 .. :8083; operator token ${
      admin.file === undefined ? 'from TRIBUTARY_ADMIN_TOKEN' : `in ${admin.file}`
    }\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const codes = await Promise.all(
    children.map(
      (child) => new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1))),
    ),
  );
  process.exit(stopping ? 0 : Math.max(...codes));
}

function startNode(id: number, adminToken: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(__dirname, 'main.js')], {
    env: {
      ...process.env,
      TRIBUTARY_NODE_ID: String(id),
      PORT: String(8080 + id),
      TRIBUTARY_RPC_PORT: String(9093 + id),
      DATA_DIR: path.join(root, `node-${id}`),
      TRIBUTARY_ADMIN_TOKEN: adminToken,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => process.stdout.write(`[node ${id}] ${line}\n`));
  }
  return child;
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run cluster: ${String(error)}\n`);
  process.exit(1);
});
