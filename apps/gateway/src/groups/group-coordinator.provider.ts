// The group coordinator of libs/coordination, wired to this node: its Coordinator and clock,
// subscriptions resolved against the metadata cache as the joining key may read them, and
// commits written to the metadata store.
import { type FactoryProvider } from '@nestjs/common';
import { type Clock } from '@tributary/common';
import { type Coordinator, GroupCoordinator } from '@tributary/coordination';
import { GroupOffsetRepository, MetadataCache } from '@tributary/metadata';
import { CLOCK, COORDINATOR } from '../node-services';
import { topicResolver } from './subscription';

export const GROUP_COORDINATOR: FactoryProvider<GroupCoordinator> = {
  provide: GroupCoordinator,
  inject: [COORDINATOR, CLOCK, MetadataCache, GroupOffsetRepository],
  useFactory: (
    coordinator: Coordinator,
    clock: Clock,
    cache: MetadataCache,
    groupOffsets: GroupOffsetRepository,
  ) =>
    new GroupCoordinator({
      coordinator,
      clock,
      resolver: (tenantId) => topicResolver(cache, tenantId),
      topicExists: (topicId) => cache.topic(topicId) !== undefined,
      commitOffsets: (tenantId, groupId, commits) =>
        groupOffsets.commit(tenantId, groupId, commits),
    }),
};
