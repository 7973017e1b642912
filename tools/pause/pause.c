/* pause: the init process of every OpenECI sandbox.
 *
 * Holds the pod's namespaces open: sleeps until SIGTERM or SIGINT, then exits 0. As PID 1 of
 * the pod's PID namespace it also reaps any orphaned child so no zombie is left behind.
 * Built with `gcc -static` so the image needs nothing else (scripts/images/build.sh).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop = 0;

static void OnTerminate(int sig) {
  (void)sig;
  g_stop = 1;
}

static void OnChild(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static void Install(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
  if (sigaction(sig, &sa, NULL) < 0) {
    perror("pause: sigaction");
    exit(1);
  }
}

int main(int argc, char** argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "usage: pause (sleeps until SIGTERM or SIGINT)\n");
    return 2;
  }
  Install(SIGTERM, OnTerminate);
  Install(SIGINT, OnTerminate);
  Install(SIGCHLD, OnChild);
  while (!g_stop) {
    pause();
  }
  return 0;
}
