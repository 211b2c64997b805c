// What a member subscribes to: a list of topic names, or a pattern matched against the tenant's
// topic names. A subscription resolves, every time the group is looked at, to the topics that
// exist now and that the joining key may read, so new topics matching a pattern and added
// partitions reach the assignment on the next call.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  type MemberState,
  type ResolvedTopic,
  type Subscription,
  type TopicResolver,
} from '@tributary/coordination';
import { type MetadataCache } from '@tributary/metadata';
import { allows } from '../auth/permissions';
import { invalid } from '../http/input';

/**
 * Compiles a topic pattern (a JavaScript regular expression that must match the whole name).
 * Patterns run against every topic name on every group call, so the forms that can backtrack
 * without bound are refused: backreferences, lookarounds, and a quantified group that itself
 * contains a quantifier or an alternation.
 */
export function compilePattern(pattern: string): RegExp {
  if (pattern.length === 0 || pattern.length > LIMITS.topicPatternLengthMax) {
    throw invalid('topicPattern', `must be 1-${LIMITS.topicPatternLengthMax} characters`);
  }
  if (/\\[1-9k]|\(\?[=!<]/.test(pattern)) {
    throw invalid('topicPattern', 'backreferences and lookarounds are not supported');
  }
  if (hasNestedQuantifier(pattern)) {
    throw invalid(
      'topicPattern',
      'a repeated group may not contain another repetition or an alternation',
    );
  }
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    throw invalid('topicPattern', `is not a valid regular expression (${String(error)})`);
  }
}

/** True when a group followed by a quantifier contains a quantifier or `|` of its own. */
function hasNestedQuantifier(pattern: string): boolean {
  const open: { risky: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') open.push({ risky: false });
    else if (c === ')') {
      const group = open.pop();
      const next = pattern[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      if (group?.risky === true && quantified) return true;
      // The closed group counts as a quantified piece of its parent.
      if (open.length > 0 && (quantified || group?.risky === true))
        open[open.length - 1]!.risky = true;
    } else if (c === '*' || c === '+' || c === '{' || c === '|') {
      if (open.length > 0) open[open.length - 1]!.risky = true;
    }
  }
  return false;
}

const compiled = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    regexp = compilePattern(pattern);
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(pattern, regexp);
  }
  return regexp;
}

/** The topics a member's subscription resolves to in this tenant, as its key may read them. */
export function topicResolver(cache: MetadataCache, tenantId: string): TopicResolver {
  return (member: MemberState): ResolvedTopic[] => {
    const key = cache.apiKey(member.principal);
    if (key === undefined || key.revokedAtMs !== null) return [];
    const wanted = subscriptionFilter(member.subscription);
    return cache
      .topics(tenantId)
      .filter((t) => wanted(t.name) && allows(key, 'read', 'topic', t.name))
      .map((t) => ({ topicId: t.id, name: t.name, partitions: t.partitionCount }));
  };
}

function subscriptionFilter(subscription: Subscription): (name: string) => boolean {
  if ('pattern' in subscription) {
    const regexp = patternRegExp(subscription.pattern);
    return (name) => regexp.test(name);
  }
  const names = new Set(subscription.topics);
  return (name) => names.has(name);
}

export function parseSubscription(topics: unknown, topicPattern: unknown): Subscription {
  if ((topics === undefined) === (topicPattern === undefined)) {
    throw invalid('body', 'give exactly one of topics and topicPattern');
  }
  if (topicPattern !== undefined) {
    if (typeof topicPattern !== 'string') throw invalid('topicPattern', 'must be a string');
    compilePattern(topicPattern);
    return { pattern: topicPattern };
  }
  if (
    !Array.isArray(topics) ||
    topics.length === 0 ||
    topics.length > LIMITS.subscriptionTopicsMax ||
    !topics.every((t): t is string => typeof t === 'string')
  ) {
    throw invalid('topics', `must be a list of 1-${LIMITS.subscriptionTopicsMax} topic names`);
  }
  return { topics: [...new Set(topics)] };
}

export function groupNotFound(groupId: string): BrokerError {
  return new BrokerError('UNKNOWN_GROUP', `group ${groupId} does not exist`);
}
