// Kafka's uniform sticky assignor over a group that assignors.ts has indexed: it keeps the
// members' valid claims, deals out the rest, then moves partitions along chains of subscribers
// (a 0-1 breadth-first search) until the loads are as even as the subscriptions allow.
import { assert } from '@tributary/common';
import { type Group } from './assignor-group';

/**
 * Kafka's uniform sticky assignor. Keep the valid claims, deal the rest to the least-loaded
 * subscriber, then shift partitions along chains of subscribers until no member can pass one to
 * a member holding two fewer. That end state minimises the sum of squared loads: the most
 * balanced the subscriptions allow.
 */
export function stickyOwners(group: Group): Int32Array {
  const owner = claimCurrent(group);
  const claims = group.members.map((): number[] => []);
  owner.forEach((m, g) => {
    if (m !== -1) claims[m]!.push(g);
  });
  const sharers = group.subscriptions.filter((topics) => topics.size > 0).length;
  const total = group.subscribers.reduce(
    (sum, members, t) => sum + (members.length > 0 ? group.topics[t]!.partitions : 0),
    0,
  );
  const quota = Math.floor(total / Math.max(sharers, 1));
  // Claims far above a fair share would be shed one chain search at a time (a member that held
  // everything when the rest of the group joins), so most of such a hoard is released up front.
  if (subscriptionsAreUniform(group)) {
    // Kafka's quotas: total % sharers members get one more than the rest. The larger ones go to
    // members claiming more, earliest first, so the fewest claims move.
    let larger = total % Math.max(sharers, 1);
    release(owner, claims, (n) => (n > quota && larger > 0 ? (larger--, quota + 1) : quota));
  } else if (claims.some((claimed) => claimed.length > 2 * (quota + 1))) {
    // Every most balanced assignment has the same heaviest load; claims above it must go. Up to
    // twice that is left to the chain search, which chooses better which ones.
    const fresh = balance(group, new Int32Array(owner.length).fill(-1));
    const heaviest = fresh.load.reduce((max, load) => Math.max(max, load), 0);
    release(owner, claims, (n) => Math.min(n, 2 * heaviest));
  }
  return balance(group, owner).owner;
}

/** Releases each member's claims beyond the first keep(count). */
function release(owner: Int32Array, claims: number[][], keep: (count: number) => number): void {
  for (const claimed of claims) {
    for (const g of claimed.slice(keep(claimed.length))) owner[g] = -1;
  }
}

function balance(group: Group, owner: Int32Array): Holdings {
  const holdings = new Holdings(group, owner);
  placeUnclaimed(group, holdings);
  rebalance(group, holdings);
  return holdings;
}

/** Current claims that still hold; of two members claiming one partition, the earlier keeps it. */
function claimCurrent(group: Group): Int32Array {
  const owner = new Int32Array(group.topicOf.length).fill(-1);
  group.members.forEach((member, m) => {
    for (const [topicId, partitions] of member.current) {
      const t = group.topicIndex.get(topicId);
      if (t === undefined || !group.subscriptions[m]!.has(t)) continue;
      const count = group.topics[t]!.partitions;
      for (const p of partitions) {
        const g = group.base[t]! + p;
        if (Number.isInteger(p) && p >= 0 && p < count && owner[g] === -1) owner[g] = m;
      }
    }
  });
  return owner;
}

/** Whether every member that subscribes to anything subscribes to the same topics. */
function subscriptionsAreUniform(group: Group): boolean {
  const sample = group.subscriptions.find((topics) => topics.size > 0);
  return group.subscriptions.every(
    (topics) =>
      topics.size === 0 ||
      (topics.size === sample?.size && [...topics].every((t) => sample.has(t))),
  );
}

interface TopicHolding {
  /** Partitions the member holds and claimed. */
  kept: Set<number>;
  /** Partitions the member was given this time. */
  given: Set<number>;
}

/** Who holds what while the sticky assignor works. */
class Holdings {
  readonly load: Int32Array;
  /** Per member, how many of its own claims it holds. */
  readonly kept: Int32Array;
  private readonly claimed: Int32Array;
  private readonly held: Map<number, TopicHolding>[];

  constructor(
    private readonly group: Group,
    readonly owner: Int32Array,
  ) {
    this.claimed = owner.slice();
    this.load = new Int32Array(group.members.length);
    this.kept = new Int32Array(group.members.length);
    this.held = group.members.map(() => new Map<number, TopicHolding>());
    owner.fill(-1);
    this.claimed.forEach((m, g) => {
      if (m !== -1) this.give(g, m);
    });
  }

  topicsOf(m: number): IterableIterator<[number, TopicHolding]> {
    return this.held[m]!.entries();
  }

  give(g: number, m: number): void {
    assert(this.owner[g] === -1, () => `partition ${g} is already held`);
    const t = this.group.topicOf[g]!;
    const topic = this.held[m]!.get(t) ?? { kept: new Set<number>(), given: new Set<number>() };
    const keeps = this.claimed[g] === m;
    (keeps ? topic.kept : topic.given).add(g);
    this.held[m]!.set(t, topic);
    this.owner[g] = m;
    this.load[m]!++;
    if (keeps) this.kept[m]!++;
  }

  /** Moves one of `from`'s partitions of topic t to `to`: one it was given, if it has one. */
  move(t: number, from: number, to: number): void {
    const topic = this.held[from]!.get(t);
    assert(topic !== undefined, () => `member ${from} holds no partition of topic ${t}`);
    const g = first(topic.given) ?? first(topic.kept);
    assert(g !== undefined, 'a held topic has partitions');
    const keeps = this.claimed[g] === from;
    (keeps ? topic.kept : topic.given).delete(g);
    if (topic.given.size + topic.kept.size === 0) this.held[from]!.delete(t);
    this.owner[g] = -1;
    this.load[from]!--;
    if (keeps) this.kept[from]!--;
    this.give(g, to);
  }
}

function first(set: ReadonlySet<number>): number | undefined {
  for (const value of set) return value;
  return undefined;
}

/** Deals each unclaimed partition, in order, to its topic's least-loaded subscriber. */
function placeUnclaimed(group: Group, holdings: Holdings): void {
  const { load, owner } = holdings;
  group.subscribers.forEach((subscribers, t) => {
    if (subscribers.length === 0) return;
    const lightest = new Heap<number>(
      (a, b) => load[a]! < load[b]! || (load[a] === load[b] && a < b),
    );
    lightest.push(...subscribers);
    for (let g = group.base[t]!; g < group.base[t + 1]!; g++) {
      if (owner[g] !== -1) continue;
      const m = lightest.pop()!;
      holdings.give(g, m);
      lightest.push(m);
    }
  });
}

/**
 * Takes the heaviest open member (of those, the one keeping fewest claims) and looks for the
 * cheapest chain of subscribers to a member holding two fewer; shifting one partition along it
 * evens the pair. When there is none, nothing the search reached can ever lead to such a member,
 * nor can a later chain pass through it, so all of it is closed for good.
 */
function rebalance(group: Group, holdings: Holdings): void {
  const { load, kept } = holdings;
  const closed = new Uint8Array(group.members.length);
  type Entry = [load: number, kept: number, member: number];
  const heaviest = new Heap<Entry>(
    ([la, ka, a], [lb, kb, b]) => la > lb || (la === lb && (ka < kb || (ka === kb && a < b))),
  );
  group.subscriptions.forEach((topics, m) => {
    if (topics.size > 0) heaviest.push([load[m]!, kept[m]!, m]);
  });
  const search = new ChainSearch(group, holdings, closed);
  for (let entry = heaviest.pop(); entry !== undefined; entry = heaviest.pop()) {
    const [l, k, source] = entry;
    if (closed[source] === 1 || load[source] !== l || kept[source] !== k) continue;
    const target = search.find(source);
    if (target === undefined) {
      for (const m of search.reached) closed[m] = 1;
      continue;
    }
    const chain = search.shift(source, target);
    // The pair ends no further apart than one, so the sum of squared loads falls by two or more.
    assert(load[target]! <= load[source], 'a shift evens the load');
    heaviest.push(...chain.map((m): Entry => [load[m]!, kept[m]!, m]));
  }
}

/**
 * A 0-1 breadth-first search over member -> held topic -> subscriber that skips closed members.
 * A step costs nothing when the member can pass on a partition it was given this time, and one
 * when it must give up one of its own claims; among the cheapest chains it takes the shortest.
 */
class ChainSearch {
  /** The members the last failed search reached. */
  reached: number[] = [];
  private stamp = 0;
  private readonly memberSeen: Int32Array;
  private readonly cost: Int32Array;
  private readonly parent: Int32Array;
  private readonly via: Int32Array;
  private readonly topicSeen: Int32Array;
  private readonly topicCost: Int32Array;

  constructor(
    private readonly group: Group,
    private readonly holdings: Holdings,
    private readonly closed: Uint8Array,
  ) {
    const members = group.members.length;
    this.memberSeen = new Int32Array(members);
    this.cost = new Int32Array(members);
    this.parent = new Int32Array(members);
    this.via = new Int32Array(members);
    this.topicSeen = new Int32Array(group.topics.length);
    this.topicCost = new Int32Array(group.topics.length);
  }

  /** The cheapest-to-reach member holding at least two fewer than `source`. */
  find(source: number): number | undefined {
    const limit = this.holdings.load[source]! - 2;
    const stamp = ++this.stamp;
    this.memberSeen[source] = stamp;
    this.cost[source] = 0;
    this.reached = [source];
    let found: number | undefined;
    for (let level = [source], cost = 0; level.length > 0; cost++) {
      const next: number[] = [];
      for (let i = 0; i < level.length; i++) {
        const from = level[i]!;
        if (this.cost[from] !== cost) continue; // reached more cheaply since it was queued
        for (const [t, holding] of this.holdings.topicsOf(from)) {
          const step = holding.given.size > 0 ? 0 : 1;
          if (found !== undefined && step === 1) continue;
          const target = this.expand(from, t, cost + step, limit, step === 0 ? level : next);
          if (target !== undefined && step === 0) return target;
          found ??= target;
        }
      }
      if (found !== undefined) return found;
      level = next;
    }
    return undefined;
  }

  /** Offers topic t's subscribers a chain through `from`, queueing them; returns a target. */
  private expand(
    from: number,
    t: number,
    cost: number,
    limit: number,
    queue: number[],
  ): number | undefined {
    const stamp = this.stamp;
    if (this.topicSeen[t] === stamp && this.topicCost[t]! <= cost) return undefined;
    this.topicSeen[t] = stamp;
    this.topicCost[t] = cost;
    for (const to of this.group.subscribers[t]!) {
      if (this.closed[to] === 1) continue;
      if (this.memberSeen[to] === stamp && this.cost[to]! <= cost) continue;
      if (this.memberSeen[to] !== stamp) this.reached.push(to);
      this.memberSeen[to] = stamp;
      this.cost[to] = cost;
      this.parent[to] = from;
      this.via[to] = t;
      if (this.holdings.load[to]! <= limit) return to;
      queue.push(to);
    }
    return undefined;
  }

  /** Each member on the chain passes one partition on, so only the ends change load. */
  shift(source: number, target: number): number[] {
    const chain = [target];
    for (let to = target; to !== source; to = this.parent[to]!) {
      this.holdings.move(this.via[to]!, this.parent[to]!, to);
      chain.push(this.parent[to]!);
    }
    return chain;
  }
}

/** A binary heap; `before(a, b)` says that a leaves first. */
class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  push(...values: T[]): void {
    for (const value of values) {
      let i = this.items.push(value) - 1;
      while (i > 0) {
        const up = (i - 1) >> 1;
        if (!this.before(value, this.items[up]!)) break;
        this.items[i] = this.items[up]!;
        i = up;
      }
      this.items[i] = value;
    }
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.items.length) break;
      const right = child + 1;
      if (right < this.items.length && this.before(this.items[right]!, this.items[child]!)) {
        child = right;
      }
      if (!this.before(this.items[child]!, last)) break;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.items[i] = last;
    return top;
  }
}
