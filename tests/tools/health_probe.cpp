// health_probe STATE_FILE LOG_FILE: one run of a health check for `scripts/bench health`. The
// service is up when STATE_FILE starts with "up" (missing or anything else: down). Each run appends
// "T_NS up|down" to LOG_FILE in one write (T_NS = CLOCK_MONOTONIC at the end of the run, the moment
// the checker learns the result) and exits 0 when up, 1 when down. The benchmark flips STATE_FILE
// and finds the run that completed rise / fall: the verdict's time, comparable with bgp_sink's
// arrival times (same clock). Written in plain C library calls: it runs ten times a second per
// node.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: health_probe STATE_FILE LOG_FILE\n");
    return 2;
  }
  char buf[8] = {};
  bool up = false;
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    up = n >= 2 && std::strncmp(buf, "up", 2) == 0;
    close(fd);
  }
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[64];
  int len = std::snprintf(line, sizeof line, "%lld %s\n",
                          static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec,
                          up ? "up" : "down");
  int log = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log >= 0) {
    if (write(log, line, static_cast<size_t>(len)) != len) std::perror("health_probe: write");
    close(log);
  }
  return up ? 0 : 1;
}
