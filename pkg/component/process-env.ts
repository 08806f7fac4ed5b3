// The environment tskube's Node components are started with: by the launcher, the tests and
// benchmarks, and (as ENV lines in deploy/Dockerfile, which must say the same) docker-compose.
//
// glibc keeps memory that Node frees in per-thread arenas, and after freeing one big buffer it
// raises its mmap threshold, so later big buffers come from those arenas too and are not given
// back when freed. An apiserver that had served a few 10,000-pod lists kept ~45 MB it no longer
// used even after a full GC. Two arenas and a fixed 128 KiB threshold let the list buffers go
// back to the OS. Other C libraries ignore these variables; values the user set win.
export const COMPONENT_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export function componentEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...COMPONENT_ENV, ...base };
}
