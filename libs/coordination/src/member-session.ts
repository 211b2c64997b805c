// A group member's session: the one formula for when it ends. Every call of a member renews its
// session to run `sessionTimeoutMs` past the end of the call (a poll may wait before it
// answers); the deadline is kept in the group's liveness map. A member with no liveness entry
// yet counts from its join. A member whose deadline has passed is expired: it is removed from
// the group on the next look at the group, and its partitions move.
import { assert } from '@tributary/common';

/** What the session of a member depends on (a MemberState has these). */
export interface SessionMember {
  memberId: string;
  sessionTimeoutMs: number;
  joinedAtMs: number;
}

/** Shortest heartbeat interval a member is told, whatever its session timeout. */
const HEARTBEAT_INTERVAL_MS_MIN = 100;

/** The deadline a call sets: `waitMs` is how long the call may wait before it answers. */
export function renewedDeadlineMs(
  member: Pick<SessionMember, 'sessionTimeoutMs'>,
  nowMs: number,
  waitMs = 0,
): number {
  assert(
    Number.isSafeInteger(waitMs) && waitMs >= 0,
    () => `a call's wait is a non-negative integer of ms (got ${waitMs})`,
  );
  return nowMs + waitMs + member.sessionTimeoutMs;
}

/** When the member's session ends (ms since the epoch). */
export function sessionDeadlineMs(
  member: SessionMember,
  liveness: ReadonlyMap<string, number>,
): number {
  return liveness.get(member.memberId) ?? renewedDeadlineMs(member, member.joinedAtMs);
}

export function isExpired(
  member: SessionMember,
  liveness: ReadonlyMap<string, number>,
  nowMs: number,
): boolean {
  return sessionDeadlineMs(member, liveness) < nowMs;
}

/** When the member last called, as far as its deadline tells (never later than now). */
export function lastHeartbeatMs(
  member: SessionMember,
  liveness: ReadonlyMap<string, number>,
  nowMs: number,
): number {
  return Math.min(nowMs, sessionDeadlineMs(member, liveness) - member.sessionTimeoutMs);
}

/**
 * Milliseconds until the first session among `members` other than `self` runs out, and one
 * more (so that a wait that long ends with it expired); undefined when there is none.
 */
export function nextExpiryMs(
  members: readonly SessionMember[],
  liveness: ReadonlyMap<string, number>,
  self: string,
  nowMs: number,
): number | undefined {
  let first: number | undefined;
  for (const member of members) {
    if (member.memberId === self) continue;
    first = Math.min(first ?? Infinity, sessionDeadlineMs(member, liveness));
  }
  return first === undefined ? undefined : Math.max(0, first - nowMs) + 1;
}

/** How often a member is told to call: three times per session timeout. */
export function heartbeatIntervalMs(sessionTimeoutMs: number): number {
  return Math.max(HEARTBEAT_INTERVAL_MS_MIN, Math.floor(sessionTimeoutMs / 3));
}
