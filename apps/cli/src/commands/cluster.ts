// tributary cluster
import { type Command } from '../command';
import { positionals } from '../options';

export const CLUSTER_COMMAND: Command = {
  name: 'cluster',
  args: '[--json]',
  summary: 'the nodes (alive or dead), the controller, and the partitions each node leads',
  help: '  --json              the API answer as JSON',
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    positionals(ctx.parsed, []);
    const cluster = await ctx.client.describeCluster();
    if (ctx.parsed.values.json === true) return ctx.out.json(cluster);
    await ctx.out.line(`cluster ${cluster.clusterId}, controller ${cluster.controller ?? 'none'}`);
    await ctx.out.table(
      ['NODE', 'ADDRESS', 'RPC-PORT', 'STATUS', 'STATE', 'LEADERS', 'REPLICAS'],
      cluster.nodes.map((n) => [
        n.id,
        `${n.host}:${n.port}`,
        n.rpcPort,
        n.status,
        n.state ?? null,
        n.leaders,
        n.replicas,
      ]),
    );
  },
};
