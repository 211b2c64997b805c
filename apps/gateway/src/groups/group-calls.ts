// What the calls on a group share: the access check, members' sessions (expiry, liveness, the
// heartbeat interval a member is told), and the error and the wait of a call that cannot finish.
import { BrokerError } from '@tributary/common';
import {
  expireMembers,
  flatten,
  type GroupChange,
  type GroupView,
  type MemberState,
  requireMember,
} from '@tributary/coordination';
import { checkGroupId } from '@tributary/metadata';
import { authorize } from '../auth/permissions';
import { type TenantPrincipal } from '../auth/principal';
import { positionKeys } from './member-positions';

export function checkGroup(
  auth: TenantPrincipal,
  groupId: string,
  operation: 'read' | 'admin',
): void {
  checkGroupId(groupId);
  authorize(auth.key, operation, 'group', groupId);
}

/** Removes expired members, with their liveness and the positions of what they owned. */
export function dropExpired(
  state: NonNullable<GroupChange['state']>,
  view: GroupView,
  change: GroupChange,
  nowMs: number,
): MemberState[] {
  const expired = expireMembers(state, view.liveness, nowMs);
  for (const member of expired) {
    change.deleteLiveness.push(member.memberId);
    // Their last records may not have been processed: the next owner starts from the commit.
    change.deletePositions.push(...positionKeys(flatten(member.owned)));
  }
  if (expired.length > 0) change.markDirty();
  return expired;
}

export function liveMember(view: GroupView, memberId: string, nowMs: number): MemberState {
  const member = requireMember(view.state, memberId);
  const deadline = view.liveness.get(memberId) ?? member.joinedAtMs + member.sessionTimeoutMs;
  if (deadline < nowMs) requireMember(null, memberId);
  return member;
}

/** Milliseconds until the first other member's session runs out, if any. */
export function nextExpiryMs(view: GroupView, self: string, nowMs: number): number | undefined {
  let first: number | undefined;
  for (const member of view.state?.members ?? []) {
    if (member.memberId === self) continue;
    const deadline =
      view.liveness.get(member.memberId) ?? member.joinedAtMs + member.sessionTimeoutMs;
    first = Math.min(first ?? Infinity, deadline);
  }
  return first === undefined ? undefined : Math.max(0, first - nowMs) + 1;
}

export function heartbeatInterval(sessionTimeoutMs: number): number {
  return Math.max(100, Math.floor(sessionTimeoutMs / 3));
}

export function busyGroup(groupId: string): BrokerError {
  return new BrokerError('UNAVAILABLE', `group ${groupId} is changing too fast; retry shortly`);
}

export function deadlineOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
