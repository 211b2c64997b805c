// kafkajs ships its Java-compatible murmur2 and default partitioner as plain CommonJS modules
// without types; tests load them by path and describe the one call they make.
/* eslint-disable @typescript-eslint/no-require-imports */
export const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer,
) => number;

export const createKafkajsPartitioner =
  require('kafkajs/src/producer/partitioners/default') as () => (args: {
    topic: string;
    partitionMetadata: Array<{ partitionId: number; leader: number }>;
    message: { key: Buffer };
  }) => number;
/* eslint-enable @typescript-eslint/no-require-imports */
