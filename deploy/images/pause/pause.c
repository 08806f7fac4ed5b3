/*
 * The pod sandbox process: holds the pod's namespaces, reaps zombies that get
 * re-parented to it (it is PID 1 in the pod), and exits promptly on SIGINT or
 * SIGTERM so a sandbox stops in well under a second instead of the 10 s grace.
 *
 * Signals are blocked and taken synchronously with sigwaitinfo, so there is no
 * async-signal-safety to worry about and no window where a SIGCHLD is lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap_all(void) {
  /* One SIGCHLD may stand for several exited children. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    puts("tskube pause 3.10");
    return 0;
  }
  if (getpid() != 1) fputs("pause: warning: not running as PID 1, zombies of others are not ours to reap\n", stderr);

  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &waited, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("pause: sigwaitinfo");
      return 1;
    }
    if (sig == SIGCHLD) {
      reap_all();
      continue;
    }
    /* Upstream pause exits 0 on SIGINT/SIGTERM; the runtime treats the sandbox as stopped. */
    return 0;
  }
}
