package prefork.bench;

import java.util.Arrays;

/**
 * A 64-byte line (63 printable bytes and '\n') that carries its client and sequence number, so a stale or
 * foreign reply is caught.
 */
final class Payload {
    static final int SIZE = 64;
    private final byte[] bytes = new byte[SIZE];

    Payload(int client) {
        Arrays.fill(bytes, (byte) 'x');
        bytes[SIZE - 1] = '\n';
        writeNumber(client, 0, 4);
        bytes[4] = ':';
    }

    /** Writes {@code seq} into the line and returns the line (the same array each time). */
    byte[] stamp(long seq) {
        writeNumber(seq, 5, 12);
        return bytes;
    }

    /** Whether {@code reply[0..length)} is exactly the current line. */
    boolean matches(byte[] reply, int length) {
        return length == SIZE && Arrays.equals(bytes, 0, SIZE, reply, 0, SIZE);
    }

    /** Whether {@code reply} is a 64-byte line of this client (an earlier one, if it does not match). */
    boolean sameClient(byte[] reply, int length) {
        return length == SIZE && Arrays.equals(bytes, 0, 5, reply, 0, 5);
    }

    private void writeNumber(long value, int offset, int digits) {
        for (int i = offset + digits - 1; i >= offset; i--) {
            bytes[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }
}
