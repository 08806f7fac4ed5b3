// The environment tskube's Node components are started with: by the launcher, the tests and
// benchmarks, and (as ENV lines in deploy/Dockerfile, which must say the same: a unit test
// checks it) docker-compose.
//
// glibc keeps memory that Node frees in per-thread arenas, and after freeing one big buffer it
// raises its mmap threshold, so later big buffers come from those arenas too and are not given
// back when freed. An apiserver that had served a few 10,000-pod lists kept ~45 MB it no longer
// used even after a full GC. Two arenas and a fixed 128 KiB threshold let the list buffers go
// back to the OS.
//
// Memory given back costs a page fault per 4 KiB page when it is taken again, and on VMs that
// hand freed memory back to their host (as the machines tskube is built and tested on do:
// virtio balloon, DAMON pageout) such a fault measured 11 µs: the ~44 MB of fresh buffers a
// 10,000-pod list goes through cost ~120 ms of faults. glibc's hugetlb tunable asks for
// transparent huge pages for what malloc maps (the kernel's THP mode is "madvise" there), one
// fault per 2 MiB: lists from etcd went from ~330 to 211–286 ms, from the cache from ~150 to
// 43–109 ms, for up to ~30 MB more RSS. Other C libraries ignore these variables; values the
// user set win.
export const COMPONENT_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
};

export function componentEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...COMPONENT_ENV, ...base };
}

// V8's young generation grows to two 16 MiB semi-spaces under load (a burst of creates, a few
// big lists) and stays committed. 8 MiB halves that: the apiserver holding 10,000 pods kept
// ~11 MB less, and its CPU per pod create did not change (six interleaved pairs). V8 takes
// it only on the command line (NODE_OPTIONS would be replaced by the test runner's own).
// --expose-gc gives the apiserver's memory reclaimer V8's full GC; set at start, as V8 flags
// must be (changing them at run time can crash the process).
export const COMPONENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--expose-gc'];

/** The arguments to start a component's main module with node. */
export function componentNodeArgs(main: string, args: readonly string[]): string[] {
  return [...COMPONENT_NODE_FLAGS, main, ...args];
}
