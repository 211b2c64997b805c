// For the cluster's unit tests: nodes registered in a metadata store, each with its incarnation.
import { type MetadataStore } from '@tributary/metadata';

export async function registerNodes(
  store: MetadataStore,
  incarnations: ReadonlyMap<number, string>,
): Promise<void> {
  for (const [id, incarnation] of incarnations) {
    await store.cluster.registerBroker({
      id,
      host: '127.0.0.1',
      port: 1,
      rpcPort: 1,
      kafkaPort: 0,
      incarnation,
    });
  }
}
