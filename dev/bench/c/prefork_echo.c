/*
 * The C prefork peer of dev/bench: prefork's process model without the JVM, so the suite can tell what the
 * model costs from what a worker JVM adds. The parent binds TCP and UDP on 127.0.0.1 and forks a fixed number
 * of children per protocol: TCP children block in accept() on the shared socket and echo lines (as
 * prefork.examples.EchoChild does) until their client closes; UDP children block in recvfrom() on the shared
 * socket and send each datagram back to its sender. No spare management, no recycling, no respawn: transient
 * errors (a full descriptor table, a reset client, a reply the kernel drops) are skipped, and a child that
 * fails otherwise exits and is not replaced (the suite counts the errors that follow).
 *
 * Prints "bench: listening on tcp 127.0.0.1:P" and "bench: listening on udp 127.0.0.1:Q", then runs until its
 * standard input closes (the suite exited) or it gets SIGTERM; either way the children get SIGKILL, and each
 * child also dies with the parent (PR_SET_PDEATHSIG).
 *
 * usage: prefork-echo [--children N (default 12, the size prefork's pool reaches for 10 clients)] [--port P (0)]
 * build: cc -O2 -o dev/bench/target/prefork-echo dev/bench/c/prefork_echo.c (dev/bench/run does it)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 256

static pid_t children[2 * MAX_CHILDREN];
static volatile sig_atomic_t child_count;

static void fail(const char *what) {
    fprintf(stderr, "prefork-echo: %s: %s\n", what, strerror(errno));
    fflush(stderr);
    _exit(1);
}

static int bound_socket(int type, int port) {
    int fd = socket(AF_INET, type, 0), one = 1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (fd < 0) fail("socket");
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fail("setsockopt SO_REUSEADDR");
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("bind");
    if (type == SOCK_STREAM && listen(fd, 1024) < 0) fail("listen");
    return fd;
}

static int local_port(int fd) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) fail("getsockname");
    return ntohs(address.sin_port);
}

static int write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        bytes += n;
        length -= (size_t)n;
    }
    return 0;
}

/* One connection: every complete line is written back as soon as it has arrived; returns at EOF or an error. */
static void echo_lines(int connection) {
    char buffer[8192];
    size_t held = 0;
    for (;;) {
        if (held == sizeof buffer) held = 0; /* a line longer than the buffer: dropped, as a bounded reader would */
        ssize_t n = read(connection, buffer + held, sizeof buffer - held);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        held += (size_t)n;
        char *end = memrchr(buffer, '\n', held);
        if (end == NULL) continue;
        size_t lines = (size_t)(end - buffer) + 1;
        if (write_all(connection, buffer, lines) < 0) return;
        memmove(buffer, buffer + lines, held - lines);
        held -= lines;
    }
}

static void serve_tcp(int listener) {
    for (;;) {
        int connection = accept(listener, NULL, NULL);
        if (connection < 0) {
            if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK) fail("accept");
            continue; /* EINTR, ECONNABORTED, EMFILE, ENOBUFS, EPROTO...: transient, as a server would treat them */
        }
        echo_lines(connection);
        close(connection);
    }
}

static void serve_udp(int socket_fd) {
    static char buffer[65536];
    for (;;) {
        struct sockaddr_storage sender;
        socklen_t length = sizeof sender;
        ssize_t n = recvfrom(socket_fd, buffer, sizeof buffer, 0, (struct sockaddr *)&sender, &length);
        if (n < 0) {
            if (errno == EBADF || errno == ENOTSOCK) fail("recvfrom");
            continue;
        }
        /* a reply that cannot be sent (ENOBUFS, EAGAIN) is lost, as UDP allows: the client counts it */
        (void)sendto(socket_fd, buffer, (size_t)n, 0, (struct sockaddr *)&sender, length);
    }
}

static void spawn(void (*serve)(int), int fd, pid_t parent) {
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1); /* the parent died before the line above */
        serve(fd);
        _exit(0);
    }
    children[child_count++] = pid;
}

static void stop_children(void) {
    for (int i = 0; i < child_count; i++) kill(children[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
}

static void on_term(int signal_number) {
    (void)signal_number;
    for (int i = 0; i < child_count; i++) kill(children[i], SIGKILL);
    _exit(0);
}

int main(int argc, char **argv) {
    int count = 12, port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--children") == 0 && i + 1 < argc) {
            count = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "prefork-echo: unknown argument %s; usage: prefork-echo [--children N] [--port P]\n",
                    argv[i]);
            return 2;
        }
    }
    if (count < 1 || count > MAX_CHILDREN) {
        fprintf(stderr, "prefork-echo: --children %d: must be 1 to %d\n", count, MAX_CHILDREN);
        return 2;
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "prefork-echo: --port %d: must be 0 to 65535\n", port);
        return 2;
    }
    int tcp = bound_socket(SOCK_STREAM, port), udp = bound_socket(SOCK_DGRAM, 0);
    signal(SIGPIPE, SIG_IGN); /* a client that resets before its echo must not kill a child (inherited) */
    pid_t self = getpid();
    for (int i = 0; i < count; i++) spawn(serve_tcp, tcp, self);
    for (int i = 0; i < count; i++) spawn(serve_udp, udp, self);
    signal(SIGTERM, on_term); /* the parent's only: children keep the default and die of a group-wide TERM */
    signal(SIGINT, on_term);
    printf("bench: listening on tcp 127.0.0.1:%d\nbench: listening on udp 127.0.0.1:%d\n", local_port(tcp),
           local_port(udp));
    fflush(stdout);
    char ignored[256];
    for (;;) {
        ssize_t n = read(0, ignored, sizeof ignored);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    stop_children();
    return 0;
}
