// What the assignors (assignors.ts, sticky-assignor.ts) work on: the members and topics they
// are given, and the group indexed for them, in a file of its own so that neither assignor file
// imports the other's types.
export interface AssignorMember {
  memberId: string;
  /** Static members sort by instanceId so that a member coming back gets the same place. */
  instanceId?: string;
  /** topicIds this member subscribes to */
  topics: readonly string[];
  /** The member's current target assignment, topicId -> partitions (sticky keeps it where it can). */
  current: ReadonlyMap<string, readonly number[]>;
}

export interface AssignorTopic {
  topicId: string;
  partitions: number;
}

/** A group indexed for the assignors: members, topics and partitions numbered in one order. */
export interface Group {
  members: readonly AssignorMember[];
  topics: readonly AssignorTopic[];
  topicIndex: ReadonlyMap<string, number>;
  /** base[t] is topic t's first partition in group numbering; base[topics.length] is the total. */
  base: readonly number[];
  topicOf: Int32Array;
  /** topic -> subscribed members, ascending */
  subscribers: readonly number[][];
  /** member -> topics it subscribes to that exist and have partitions */
  subscriptions: readonly Set<number>[];
}
