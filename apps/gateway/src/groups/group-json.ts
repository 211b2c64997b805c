// How a member's partitions are shown: by topic name (topics are kept by id), sorted by name.
import { type MemberState, type PartitionsByTopic } from '@tributary/coordination';
import { type MetadataCache } from '@tributary/metadata';

export interface AssignmentJson {
  topic: string;
  partitions: number[];
}

export interface HeartbeatAnswer {
  memberEpoch: number;
  assignment: AssignmentJson[];
}

/** The partitions by topic name; a topic deleted meanwhile is left out. */
export function assignmentJson(cache: MetadataCache, byTopic: PartitionsByTopic): AssignmentJson[] {
  const out: AssignmentJson[] = [];
  for (const [topicId, partitions] of Object.entries(byTopic)) {
    const topic = cache.topic(topicId);
    if (topic !== undefined) out.push({ topic: topic.name, partitions: [...partitions] });
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** What every member call answers: the member's epoch and what it owns. */
export function heartbeatAnswer(cache: MetadataCache, member: MemberState): HeartbeatAnswer {
  return { memberEpoch: member.memberEpoch, assignment: assignmentJson(cache, member.owned) };
}

/** A topic's name, or its id once it is deleted. */
export function topicName(cache: MetadataCache, topicId: string): string {
  return cache.topic(topicId)?.name ?? topicId;
}
