// persistentVolumeClaim: which volumes it takes; the bound PV's path, looked up through the
// host's client; an unbound claim is "not ready", not a broken spec.
import t from 'tap';
import { join } from 'node:path';
import { persistentClaimPlugin } from '../../../../pkg/kubelet/volumes/persistent-claim-plugin.js';
import { VolumeNotReadyError } from '../../../../pkg/kubelet/volumes/volume-not-ready-error.js';
import { canSupportTable, fakeVolumeHost, onlyFor, tempDir, testPod } from './fake-volume-host.js';

const claim = { name: 'data', persistentVolumeClaim: { claimName: 'data' } };

t.test('canSupport: persistentVolumeClaim volumes only', async (t) => {
  t.equal(persistentClaimPlugin.name, 'kubernetes.io/persistent-claim');
  t.same(canSupportTable(persistentClaimPlugin), onlyFor('persistentVolumeClaim'));
});

t.test('a claim bound to a hostPath or local PV resolves to its path', async (t) => {
  const base = await tempDir(t);
  const host = fakeVolumeHost(new Map<string, unknown>([
    ['persistentvolumeclaims/prod/data', { spec: { volumeName: 'pv-1' } }],
    ['persistentvolumes//pv-1', { spec: { hostPath: { path: join(base, 'pv1'), type: 'DirectoryOrCreate' } } }],
  ]));
  t.equal(await persistentClaimPlugin.setUp(testPod, claim, '/unused', host), join(base, 'pv1'));
  host.objects.set('persistentvolumes//pv-1', { spec: { local: { path: base } } });
  t.equal(await persistentClaimPlugin.setUp(testPod, claim, '/unused', host), base);
  host.objects.set('persistentvolumes//pv-1', { spec: { nfs: { server: 'x', path: '/' } } });
  await t.rejects(persistentClaimPlugin.setUp(testPod, claim, '/unused', host), { message: 'no volume plugin matched' });
});

t.test('a missing claim is an error; an unbound one is not ready yet', async (t) => {
  const host = fakeVolumeHost();
  await t.rejects(persistentClaimPlugin.setUp(testPod, claim, '/unused', host), { message: 'persistentvolumeclaim "data" not found' });
  host.objects.set('persistentvolumeclaims/prod/data', { spec: {} });
  const err = await persistentClaimPlugin.setUp(testPod, claim, '/unused', host).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof VolumeNotReadyError);
  t.match(err, { message: 'PVC prod/data has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")' });
});
