package prefork.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import prefork.internal.LibC;
import prefork.internal.Native;

/**
 * posix_spawn with file actions, the one way the manager starts a process of its own (a worker, or the new
 * manager of an upgrade): the child gets exactly the fds given, an empty signal mask and default signal
 * dispositions, and optionally a process group of its own.
 */
final class ProcessSpawn {
    private static final short SETPGROUP = 0x02, SETSIGDEF = 0x04, SETSIGMASK = 0x08;

    private ProcessSpawn() {}

    /** One fd of the child: {@code source} (this process's fd) becomes {@code target} in the child. */
    record Fd(int source, int target) {}

    /**
     * Starts {@code argv} (argv[0] an absolute path) with environment {@code env} ("NAME=value"), the dup2s of
     * {@code fds} in order and every fd from {@code closeFrom} up closed; {@code ownGroup}: in a new process group.
     * Returns the pid; throws IOException "cannot start WHAT ARGV0: ..." when posix_spawn fails.
     */
    static long spawn(String what, List<String> argv, List<String> env, List<Fd> fds, int closeFrom,
            boolean ownGroup) throws IOException {
        LibC c = Native.libc();
        Pointer actions = Memory.allocateDirect(Native.runtime(), 512);
        Pointer attributes = Memory.allocateDirect(Native.runtime(), 1024);
        Pointer empty = Memory.allocateDirect(Native.runtime(), 128);
        Pointer all = Memory.allocateDirect(Native.runtime(), 128);
        c.posix_spawn_file_actions_init(actions);
        c.posix_spawnattr_init(attributes);
        try {
            for (Fd fd : fds) {
                c.posix_spawn_file_actions_adddup2(actions, fd.source(), fd.target());
            }
            c.posix_spawn_file_actions_addclosefrom_np(actions, closeFrom);
            c.sigemptyset(empty);
            c.sigfillset(all);
            c.posix_spawnattr_setsigmask(attributes, empty);
            c.posix_spawnattr_setsigdefault(attributes, all);
            if (ownGroup) {
                c.posix_spawnattr_setpgroup(attributes, 0);
            }
            c.posix_spawnattr_setflags(attributes, (short) ((ownGroup ? SETPGROUP : 0) | SETSIGDEF | SETSIGMASK));
            List<Pointer> keepAlive = new ArrayList<>();
            int[] pid = new int[1];
            int error = c.posix_spawn(pid, argv.get(0), actions, attributes, stringArray(argv, keepAlive),
                    stringArray(env, keepAlive));
            if (error != 0) {
                throw Native.error("cannot start " + what + " " + argv.get(0), error);
            }
            return pid[0];
        } finally {
            c.posix_spawn_file_actions_destroy(actions);
            c.posix_spawnattr_destroy(attributes);
        }
    }

    /** A NULL-terminated char*[] of {@code strings}; {@code keepAlive} holds the memory until the call returns. */
    private static Pointer stringArray(List<String> strings, List<Pointer> keepAlive) {
        int pointerSize = Native.runtime().addressSize();
        Pointer array = Memory.allocateDirect(Native.runtime(), (long) (strings.size() + 1) * pointerSize, true);
        for (int i = 0; i < strings.size(); i++) {
            byte[] bytes = strings.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer text = Memory.allocateDirect(Native.runtime(), bytes.length + 1, true);
            text.put(0, bytes, 0, bytes.length);
            keepAlive.add(text);
            array.putPointer((long) i * pointerSize, text);
        }
        keepAlive.add(array);
        return array;
    }
}
