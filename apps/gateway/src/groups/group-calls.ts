// What the calls on a group share at the edge: the access check, and the wait of a call that
// parks (the rules of sessions and membership are the group coordinator's, libs/coordination).
import { checkGroupId } from '@tributary/metadata';
import { authorize } from '../auth/permissions';
import { type TenantPrincipal } from '../auth/principal';

export function checkGroup(
  auth: TenantPrincipal,
  groupId: string,
  operation: 'read' | 'admin',
): void {
  checkGroupId(groupId);
  authorize(auth.key, operation, 'group', groupId);
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
