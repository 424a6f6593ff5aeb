package prefork.internal;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A shared-memory table with one slot per worker, mapped by the manager and by every worker (Apache's
 * scoreboard). A worker writes only its own slot, with release stores; the manager reads with acquire loads.
 * No message per request: a state change costs a few nanoseconds.
 *
 * <p>Slot layout (512 bytes): state, pid, requests, last-active nanoTime, busy-since nanoTime, remote port,
 * remote address length (0 none, 4 IPv4, 16 IPv6), message length, the remote address's bytes (two longs,
 * big-endian), the index of the listener of the current or last connection (dispatch mode), then a UTF-8 message (why a worker could not boot). The client's address is stored as bytes:
 * a connection costs the worker a few stores, never a String.
 */
public final class Scoreboard {
    public static final int SLOTS = 1024;
    public static final int SLOT_BYTES = 512;
    public static final long SIZE = (long) SLOTS * SLOT_BYTES;

    /** Slot states, as stored. */
    public static final long EMPTY = 0, STARTING = 1, IDLE = 2, BUSY = 3, STOPPING = 4, BOOT_FAILED = 5;

    private static final int STATE = 0, PID = 8, REQUESTS = 16, LAST_ACTIVE = 24, BUSY_SINCE = 32,
            REMOTE_PORT = 40, REMOTE_LENGTH = 48, MESSAGE_LENGTH = 56, REMOTE_HIGH = 64, REMOTE_LOW = 72,
            LISTENER = 80, MESSAGE = 88;
    private static final int MESSAGE_MAX = SLOT_BYTES - MESSAGE;
    private static final VarHandle LONGS =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /**
     * Dispatch mode: slot {@value} (above any pool's, PoolBounds.MAX_SERVERS_LIMIT being 500) holds one word,
     * set while the manager's dispatcher waits for an idle worker: a worker that goes idle then tells it.
     */
    static final int DISPATCHER_SLOT = SLOTS - 1;
    private final MappedByteBuffer buffer;

    private Scoreboard(MappedByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** Maps the scoreboard file at {@code path} (in a worker: /proc/self/fd/N). */
    public static Scoreboard map(Path path) throws IOException {
        return map(path, SIZE);
    }

    /** Maps the first {@code size} bytes of a scoreboard file (a short one for the class data training run). */
    public static Scoreboard map(Path path, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return new Scoreboard(channel.map(FileChannel.MapMode.READ_WRITE, 0, size));
        }
    }

    public long state(int slot) {
        return get(slot, STATE);
    }

    public void setState(int slot, long state) {
        set(slot, STATE, state);
    }

    /** Atomically moves the slot from {@code expected} to {@code state}; returns whether it did. */
    public boolean compareAndSetState(int slot, long expected, long state) {
        return LONGS.compareAndSet(buffer, offset(slot, STATE), expected, state);
    }

    public long requests(int slot) {
        return get(slot, REQUESTS);
    }

    public long lastActive(int slot) {
        return get(slot, LAST_ACTIVE);
    }

    public long busySince(int slot) {
        return get(slot, BUSY_SINCE);
    }

    /** The index of the listener the slot's current or last connection came from (dispatch mode; else 0). */
    public int listener(int slot) {
        return (int) get(slot, LISTENER);
    }

    public long remotePort(int slot) {
        return get(slot, REMOTE_PORT);
    }

    /**
     * The address of the client the slot's worker serves or last served (null for none: a Unix socket, or no
     * request yet). Read without a lock: a snapshot for operators, not for decisions.
     */
    public InetAddress remoteAddress(int slot) {
        int length = (int) get(slot, REMOTE_LENGTH);
        if (length != 4 && length != 16) {
            return null;
        }
        byte[] bytes = new byte[length];
        long high = get(slot, REMOTE_HIGH), low = get(slot, REMOTE_LOW);
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ((i < 8 ? high : low) >>> (56 - 8 * (i % 8)));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // cannot happen for 4 or 16 bytes
        }
    }

    /**
     * How many slots other than {@code exceptSlot} are busy with a client at {@code address} now (the per-address
     * limit; a scan of every slot, a few microseconds). A worker marks itself busy before it counts, so two
     * simultaneous connections from one address may both see each other, never neither.
     */
    public int busyFrom(InetAddress address, int exceptSlot) {
        byte[] wanted = address.getAddress();
        long high = packed(wanted, 0), low = packed(wanted, 8);
        int count = 0;
        for (int slot = 0; slot < SLOTS; slot++) {
            if (slot != exceptSlot && get(slot, STATE) == BUSY && get(slot, REMOTE_LENGTH) == wanted.length
                    && get(slot, REMOTE_HIGH) == high && get(slot, REMOTE_LOW) == low) {
                count++;
            }
        }
        return count;
    }

    /** Worker side: the slot's owner announces itself. */
    public void claim(int slot, long pid) {
        set(slot, REQUESTS, 0);
        set(slot, PID, pid);
        set(slot, LAST_ACTIVE, System.nanoTime());
        set(slot, STATE, STARTING);
    }

    /**
     * Worker side: a connection (or datagram) from {@code remote} (null for a Unix socket) was accepted; returns
     * the System.nanoTime() stored as busy-since.
     */
    public long markBusy(int slot, InetSocketAddress remote) {
        return markBusy(slot, remote, 0);
    }

    /** The same for a connection from the manager's listener number {@code listener} (dispatch mode). */
    public long markBusy(int slot, InetSocketAddress remote, int listener) {
        long now = System.nanoTime();
        set(slot, LISTENER, listener);
        if (remote == null) {
            set(slot, REMOTE_LENGTH, 0);
            set(slot, REMOTE_PORT, 0);
        } else {
            byte[] address = remote.getAddress().getAddress();
            set(slot, REMOTE_HIGH, packed(address, 0));
            set(slot, REMOTE_LOW, packed(address, 8));
            set(slot, REMOTE_LENGTH, address.length);
            set(slot, REMOTE_PORT, remote.getPort());
        }
        set(slot, BUSY_SINCE, now);
        set(slot, LAST_ACTIVE, now);
        compareAndSetState(slot, IDLE, BUSY);
        return now;
    }

    /** Worker side: a connection is done; returns false if the manager asked the worker to stop meanwhile. */
    public boolean markIdle(int slot, long requests) {
        set(slot, REQUESTS, requests);
        set(slot, LAST_ACTIVE, System.nanoTime());
        return compareAndSetState(slot, BUSY, IDLE);
    }

    /**
     * Manager side (dispatch mode): whether the dispatcher waits for an idle worker. Sequentially consistent
     * with the workers' {@link #markIdle}, so a worker going idle either is seen idle or sees the wait.
     */
    public void setDispatcherWaiting(boolean waiting) {
        LONGS.setVolatile(buffer, offset(DISPATCHER_SLOT, STATE), waiting ? 1L : 0L);
        VarHandle.fullFence(); // orders this store before the caller's next reads of the workers' states
    }

    /** Worker side, after {@link #markIdle}: whether it must tell the dispatcher (see above). */
    public boolean dispatcherWaiting() {
        VarHandle.fullFence(); // orders the caller's own idle store (a release store too) before this load
        return (long) LONGS.getVolatile(buffer, offset(DISPATCHER_SLOT, STATE)) != 0;
    }

    /** Manager side: clears a slot whose worker has been reaped. */
    public void clear(int slot) {
        for (int field = 0; field < MESSAGE; field += 8) {
            set(slot, field, 0);
        }
    }

    /** Worker side: records why the worker could not boot (truncated to fit the slot). */
    public void setMessage(int slot, String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, MESSAGE_MAX);
        ByteBuffer view = buffer.duplicate();
        view.position(slot * SLOT_BYTES + MESSAGE);
        view.put(bytes, 0, length);
        set(slot, MESSAGE_LENGTH, length);
    }

    /** The message a worker left in its slot, or "" when none. */
    public String message(int slot) {
        int length = (int) Math.min(get(slot, MESSAGE_LENGTH), MESSAGE_MAX);
        byte[] bytes = new byte[Math.max(length, 0)];
        ByteBuffer view = buffer.duplicate();
        view.position(slot * SLOT_BYTES + MESSAGE);
        view.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Bytes {@code from}..{@code from+7} of {@code address} as a big-endian long (missing bytes are 0). */
    private static long packed(byte[] address, int from) {
        long value = 0;
        for (int i = from; i < Math.min(from + 8, address.length); i++) {
            value |= (address[i] & 0xffL) << (56 - 8 * (i - from));
        }
        return value;
    }

    private long get(int slot, int field) {
        return (long) LONGS.getAcquire(buffer, offset(slot, field));
    }

    private void set(int slot, int field, long value) {
        LONGS.setRelease(buffer, offset(slot, field), value);
    }

    private static int offset(int slot, int field) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IndexOutOfBoundsException("scoreboard slot " + slot);
        }
        return slot * SLOT_BYTES + field;
    }
}
