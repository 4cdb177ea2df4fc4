/*
 * dockerlab's thin shell client: what the web server spawns in node-pty for a VM's root shell.
 * It does what `dockerlab sandbox shell` does (engine/sandbox/cli.ts), without a Node process:
 * it connects to the lab's mux socket (<lab>/<host>.sock, frames as in engine/sandbox/frame.ts),
 * opens a pty channel sized like its own terminal, and relays bytes both ways:
 *   its terminal's input    -> stdin frames          (always read, so Ctrl-C is never stuck
 *                                                       behind output)
 *   stdout/stderr frames    -> its terminal's output, acknowledged once written (flow control:
 *                                                       a slow reader slows the guest)
 *   SIGWINCH                -> a resize frame
 *   exit / error frame      -> its own exit status (an error's message on stderr first)
 * Usage: dockerlab-shell SOCKET. Exit status: the shell's, or 255 when the lab cannot be reached.
 * The mux validates what the guest sends; this side still refuses frames of impossible lengths.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

enum { OPEN = 1, STDIN = 2, STDOUT = 3, STDERR = 4, RESIZE = 5, EXIT = 7, ACK = 8, ERROR = 13 };
/* The longest frame the mux relays from the guest (MAX_GUEST_FRAME_BYTES in frame.ts). */
#define MAX_FRAME (1024 * 1024)
/* Output written to the terminal but not yet taken by it is at most this (the guest's window,
   CHANNEL_WINDOW_BYTES in mux.ts, bounds it anyway); above it the socket is not read. */
#define MAX_PENDING (2 * 1024 * 1024)
#define CHANNEL 1

static int sock = -1;
static int winch[2];
static struct termios saved;
static int raw = 0;

static void restore(void) {
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

static void die(const char *what) {
  restore();
  fprintf(stderr, "\r\n[dockerlab] %s: %s\r\n", what, strerror(errno));
  exit(255);
}

static void write_all(int fd, const void *data, size_t n) {
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, -1);
        continue;
      }
      die("write");
    }
    p += w;
    n -= (size_t)w;
  }
}

static void send_frame(uint8_t type, const void *payload, size_t n) {
  unsigned char head[9];
  uint32_t len = (uint32_t)n + 5, ch = CHANNEL;
  head[0] = len >> 24, head[1] = len >> 16, head[2] = len >> 8, head[3] = len;
  head[4] = ch >> 24, head[5] = ch >> 16, head[6] = ch >> 8, head[7] = ch;
  head[8] = type;
  write_all(sock, head, 9);
  if (n) write_all(sock, payload, n);
}

static void send_size(uint8_t type) {
  struct winsize ws = {0};
  if (ioctl(0, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0 || ws.ws_row == 0) ws.ws_col = 80, ws.ws_row = 24;
  char json[96];
  int n = type == OPEN ? snprintf(json, sizeof json, "{\"pty\":true,\"cols\":%u,\"rows\":%u}", ws.ws_col, ws.ws_row)
                       : snprintf(json, sizeof json, "{\"cols\":%u,\"rows\":%u}", ws.ws_col, ws.ws_row);
  send_frame(type, json, (size_t)n);
}

static void on_winch(int sig) {
  (void)sig;
  int e = errno;
  if (write(winch[1], "w", 1) < 0) { /* the pipe is full: a resize is already pending */ }
  errno = e;
}

/* The integer after "key": in a JSON payload the mux has already validated; `fallback` if none. */
static int json_int(const char *json, size_t n, const char *key, int fallback) {
  char pattern[32];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *at = memmem(json, n, pattern, strlen(pattern));
  if (!at) return fallback;
  at += strlen(pattern);
  int v = 0, digits = 0;
  while (at < json + n && *at >= '0' && *at <= '9' && digits < 4) v = v * 10 + (*at++ - '0'), digits++;
  return digits ? v : fallback;
}

/* An error frame's message, its JSON escapes undone enough to be read, on stderr. */
static void print_message(const char *json, size_t n) {
  const char *at = memmem(json, n, "\"message\":\"", 11);
  if (!at) return;
  at += 11;
  write_all(2, "\r\n", 2);
  for (; at < json + n && *at != '"'; at++) {
    char c = *at;
    if (c == '\\' && at + 1 < json + n) {
      c = *++at;
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
    }
    if (c == '\n') write_all(2, "\r", 1);
    write_all(2, &c, 1);
  }
  write_all(2, "\r\n", 2);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "[dockerlab] socket path too long: %s\n", argv[1]);
    return 2;
  }
  strcpy(addr.sun_path, argv[1]);
  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die("socket");
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "[dockerlab] cannot reach the sandbox at %s: %s; is the lab up?\r\n", argv[1], strerror(errno));
    return 255;
  }
  if (pipe2(winch, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa = {.sa_handler = on_winch, .sa_flags = SA_RESTART};
  sigaction(SIGWINCH, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (isatty(0) && tcgetattr(0, &saved) == 0) {
    struct termios t = saved;
    cfmakeraw(&t);
    if (tcsetattr(0, TCSANOW, &t) == 0) raw = 1;
  }
  atexit(restore);
  /* Our terminal's input and output share one file description (the pty): non-blocking, so a
     full output never stops us reading input (poll says when each may go on). */
  fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
  send_size(OPEN);

  static unsigned char in[MAX_FRAME + 9];
  size_t have = 0;
  unsigned char *pending = NULL; /* output not yet taken by our terminal */
  size_t pending_len = 0, pending_cap = 0, pending_at = 0;
  static char keys[65536];
  for (;;) {
    struct pollfd fds[4] = {
        {0, POLLIN, 0},
        {sock, pending_len - pending_at < MAX_PENDING ? POLLIN : 0, 0},
        {winch[0], POLLIN, 0},
        {1, pending_at < pending_len ? POLLOUT : 0, 0},
    };
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[2].revents & POLLIN) {
      char drain[16];
      while (read(winch[0], drain, sizeof drain) > 0) {}
      send_size(RESIZE);
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, keys, sizeof keys);
      if (n > 0) send_frame(STDIN, keys, (size_t)n);
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return 0; /* the terminal went away */
    }
    if (fds[3].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t w = write(1, pending + pending_at, pending_len - pending_at);
      if (w > 0) {
        pending_at += (size_t)w;
        char ack[40];
        int n = snprintf(ack, sizeof ack, "{\"bytes\":%zd}", w);
        send_frame(ACK, ack, (size_t)n);
        if (pending_at == pending_len) pending_at = pending_len = 0;
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        return 0; /* the terminal went away */
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(sock, in + have, sizeof in - have);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        restore();
        fprintf(stderr, "\r\n[dockerlab] 与实验机器的连接已断开 / the connection to the lab closed\r\n");
        return 255;
      }
      have += (size_t)n;
      size_t at = 0;
      while (have - at >= 4) {
        uint32_t len = (uint32_t)in[at] << 24 | (uint32_t)in[at + 1] << 16 | (uint32_t)in[at + 2] << 8 | in[at + 3];
        if (len < 5 || len > MAX_FRAME + 5) {
          restore();
          fprintf(stderr, "\r\n[dockerlab] bad frame length %u from the sandbox\r\n", len);
          return 255;
        }
        if (have - at < 4 + len) break;
        uint32_t ch = (uint32_t)in[at + 4] << 24 | (uint32_t)in[at + 5] << 16 | (uint32_t)in[at + 6] << 8 | in[at + 7];
        uint8_t type = in[at + 8];
        const unsigned char *payload = in + at + 9;
        size_t size = len - 5;
        at += 4 + len;
        if (ch != CHANNEL) continue; /* channel 0: the mux's own, not ours */
        if (type == STDOUT || type == STDERR) {
          /* Compact what was written, then append. */
          if (pending_at > 0) {
            memmove(pending, pending + pending_at, pending_len - pending_at);
            pending_len -= pending_at;
            pending_at = 0;
          }
          if (pending_len + size > pending_cap) {
            pending_cap = (pending_len + size) * 2;
            pending = realloc(pending, pending_cap);
            if (!pending) die("realloc");
          }
          memcpy(pending + pending_len, payload, size);
          pending_len += size;
        } else if (type == EXIT || type == ERROR) {
          fcntl(1, F_SETFL, fcntl(1, F_GETFL) & ~O_NONBLOCK);
          if (pending_len > pending_at) write_all(1, pending + pending_at, pending_len - pending_at);
          if (type == ERROR) print_message((const char *)payload, size);
          int code = json_int((const char *)payload, size, "code", type == ERROR ? 127 : 255);
          restore();
          return code > 255 ? 255 : code;
        }
      }
      memmove(in, in + at, have - at);
      have -= at;
    }
  }
}
