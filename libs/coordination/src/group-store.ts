// Read-modify-write of one group over a Coordinator: the change runs on a fresh copy of the
// group and is written with compare-and-set; when another process changed the group in the
// meantime, the change runs again on the newer copy. Watchers are notified after every write.
import { BrokerError } from '@tributary/common';
import { type Coordinator, type GroupSnapshot } from './coordinator';
import { type GroupState, parseGroup } from './group-state';

/** Attempts before a write gives up under contention (retriable UNAVAILABLE). */
const WRITE_ATTEMPTS_MAX = 32;

export interface GroupView {
  version: number;
  /** null: the group has no members and no document. */
  state: GroupState | null;
  liveness: ReadonlyMap<string, number>;
  positions: ReadonlyMap<string, number>;
}

/** What a change asks to be written besides the (mutated) state. */
export class GroupChange {
  dirty = false;
  readonly setLiveness = new Map<string, number>();
  readonly deleteLiveness: string[] = [];
  readonly deletePositions: string[] = [];

  constructor(public state: GroupState | null) {}

  markDirty(): void {
    this.dirty = true;
  }
}

export interface GroupUpdate<T> {
  result: T;
  /** The view as written (or as read, when nothing changed). */
  view: GroupView;
  written: boolean;
}

export class GroupStore {
  constructor(readonly coordinator: Coordinator) {}

  async read(tenantId: string, groupId: string): Promise<GroupView> {
    return toView(await this.coordinator.readGroup(tenantId, groupId));
  }

  /**
   * Runs `change` against the current group until its write lands. `change` mutates
   * `change.state` (a private copy) and calls markDirty() when something must be written; a
   * group left without members is deleted with its liveness and positions.
   */
  async update<T>(
    tenantId: string,
    groupId: string,
    apply: (view: GroupView, change: GroupChange) => T | Promise<T>,
    /** A view the caller has just read, used for the first attempt instead of reading again. */
    first?: GroupView,
  ): Promise<GroupUpdate<T>> {
    let fresh = first;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS_MAX; attempt++) {
      const view = fresh ?? (await this.read(tenantId, groupId));
      fresh = undefined;
      const change = new GroupChange(view.state === null ? null : cloneState(view.state));
      const result = await apply(view, change);
      if (!change.dirty) return { result, view, written: false };
      const state = change.state !== null && change.state.members.length > 0 ? change.state : null;
      const version = await this.coordinator.writeGroup(tenantId, groupId, view.version, {
        document: state === null ? null : JSON.stringify(state),
        setLiveness: change.setLiveness,
        deleteLiveness: change.deleteLiveness,
        deletePositions: change.deletePositions,
      });
      if (version === null) continue;
      await this.coordinator.notifyGroup(tenantId, groupId);
      const positions = new Map(view.positions);
      for (const key of change.deletePositions) positions.delete(key);
      const liveness = new Map(view.liveness);
      for (const id of change.deleteLiveness) liveness.delete(id);
      for (const [id, deadline] of change.setLiveness) liveness.set(id, deadline);
      return {
        result,
        view: {
          version,
          state,
          liveness: state === null ? new Map() : liveness,
          positions: state === null ? new Map() : positions,
        },
        written: true,
      };
    }
    throw new BrokerError(
      'UNAVAILABLE',
      `group ${groupId} is changing too fast to update; retry shortly`,
    );
  }
}

function toView(snapshot: GroupSnapshot): GroupView {
  return {
    version: snapshot.version,
    state: snapshot.document === null ? null : parseGroup(snapshot.document),
    liveness: snapshot.liveness,
    positions: snapshot.positions,
  };
}

function cloneState(state: GroupState): GroupState {
  return structuredClone(state);
}
