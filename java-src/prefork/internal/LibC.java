package prefork.internal;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The glibc calls the manager needs that the JDK does not offer: native listening sockets (created with
 * SOCK_CLOEXEC so they never leak), pipes, and posix_spawn with file actions that place exactly the fds a
 * worker needs on 0, 3, 4... and close every other one; in dispatch mode, accept and socket pairs (descriptors
 * pass through {@link SocketCalls}). Linux (glibc >= 2.34) only. Used in the manager only: workers load at most
 * {@link SocketCalls}, and only in dispatch mode.
 */
public interface LibC {
    @SaveError int socket(int domain, int type, int protocol);
    @SaveError int setsockopt(int fd, int level, int option, @In int[] value, int length);
    @SaveError int getsockopt(int fd, int level, int option, @Out byte[] value, @In @Out int[] length);
    @SaveError int bind(int fd, @In byte[] address, int length);
    @SaveError int listen(int fd, int backlog);
    @SaveError int getsockname(int fd, @Out byte[] address, @In @Out int[] length);
    @SaveError int getsockopt(int fd, int level, int option, @Out int[] value, @In @Out int[] length);
    @SaveError @ssize_t long sendto(int fd, @In byte[] buffer, @size_t long count, int flags, @In byte[] address,
            int addressLength);
    @SaveError int unsetenv(String name);
    @SaveError int fchown(int fd, int owner, int group);
    @SaveError int close(int fd);
    @SaveError int open(String path, int flags, int mode);
    @SaveError int pipe2(@Out int[] fds, int flags);
    @SaveError int dup3(int oldFd, int newFd, int flags);
    @SaveError int fcntl(int fd, int command, int argument);
    @SaveError @ssize_t long write(int fd, @In byte[] buffer, @size_t long count);
    @SaveError @ssize_t long read(int fd, @Out byte[] buffer, @size_t long count);
    @SaveError int waitpid(int pid, @Out int[] status, int options);
    @SaveError int kill(int pid, int signal);
    /** {@code fds} holds struct pollfd pairs: fd, then events in the low and revents in the high 16 bits. */
    @SaveError int poll(@In @Out int[] fds, long count, int timeoutMillis);
    @SaveError int accept4(int fd, @Out byte[] address, @In @Out int[] length, int flags);
    @SaveError int socketpair(int domain, int type, int protocol, @Out int[] fds);
    String strerror(int errno);
    long sysconf(int name);

    int posix_spawn(@Out int[] pid, String path, Pointer fileActions, Pointer attributes, Pointer argv, Pointer envp);
    int posix_spawn_file_actions_init(Pointer fileActions);
    int posix_spawn_file_actions_destroy(Pointer fileActions);
    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowFd);
    int posix_spawnattr_init(Pointer attributes);
    int posix_spawnattr_destroy(Pointer attributes);
    int posix_spawnattr_setflags(Pointer attributes, short flags);
    int posix_spawnattr_setsigmask(Pointer attributes, Pointer sigset);
    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer sigset);
    int posix_spawnattr_setpgroup(Pointer attributes, int pgroup);
    int sigemptyset(Pointer sigset);
    int sigfillset(Pointer sigset);
}
