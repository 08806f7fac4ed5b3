import t from 'tap';
import { planAttemptToDelete, type ClassifiedOwner } from '../../../../pkg/controller/garbagecollector/plan-attempt-to-delete.js';

const item = (finalizers: string[] = [], hasDependents = false) => ({ finalizers, hasDependents });
const o = (uid: string, state: ClassifiedOwner['state']): ClassifiedOwner => ({ uid, state });

t.test('GC decisions for one dependent', async (t) => {
  const cases: { name: string; owners: ClassifiedOwner[]; item: ReturnType<typeof item>; want: unknown }[] = [
    { name: 'no owner references: left alone', owners: [], item: item(), want: { action: 'none' } },
    { name: 'a live owner keeps it', owners: [o('a', 'solid')], item: item(), want: { action: 'none' } },
    { name: 'its only owner is gone: deleted in the background', owners: [o('a', 'dangling')], item: item(), want: { action: 'delete', propagationPolicy: 'Background' } },
    { name: 'all owners gone: deleted', owners: [o('a', 'dangling'), o('b', 'dangling')], item: item(), want: { action: 'delete', propagationPolicy: 'Background' } },
    { name: 'one owner gone, one alive: only the gone reference is removed', owners: [o('a', 'dangling'), o('b', 'solid')], item: item(), want: { action: 'removeOwnerReferences', uids: ['a'] } },
    { name: 'one owner deleting in the foreground, one alive: that reference is removed', owners: [o('a', 'waitingForDependentsDeletion'), o('b', 'solid')], item: item(), want: { action: 'removeOwnerReferences', uids: ['a'] } },
    { name: 'owner deleting in the foreground, no own dependents: background delete', owners: [o('a', 'waitingForDependentsDeletion')], item: item(), want: { action: 'delete', propagationPolicy: 'Background' } },
    { name: 'owner deleting in the foreground, own dependents: foreground delete', owners: [o('a', 'waitingForDependentsDeletion')], item: item([], true), want: { action: 'delete', propagationPolicy: 'Foreground' } },
    { name: 'owners gone and the object carries orphan: orphan delete', owners: [o('a', 'dangling')], item: item(['orphan']), want: { action: 'delete', propagationPolicy: 'Orphan' } },
    { name: 'owners gone and the object carries foregroundDeletion: foreground delete', owners: [o('a', 'dangling')], item: item(['foregroundDeletion']), want: { action: 'delete', propagationPolicy: 'Foreground' } },
  ];
  for (const c of cases) t.same(planAttemptToDelete(c.owners, c.item), c.want, c.name);
});
