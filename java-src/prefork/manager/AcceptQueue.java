package prefork.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The length of a listening TCP socket's accept queue (connections the kernel has accepted that no worker has
 * taken yet): the rx_queue column of its row in /proc/net/tcp or /proc/net/tcp6, found by the socket's inode.
 */
final class AcceptQueue {
    private AcceptQueue() {}

    /** The queue length of the listening socket on {@code fd} of this process, or -1 when it cannot be told. */
    static int length(int fd) {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            if (!link.startsWith("socket:[")) {
                return -1;
            }
            String inode = link.substring(8, link.length() - 1);
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                int found = find(new String(Files.readAllBytes(Path.of(table)), StandardCharsets.ISO_8859_1), inode);
                if (found >= 0) {
                    return found;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a TCP socket, or no /proc: unknown
        }
        return -1;
    }

    /** The rx_queue of the LISTEN row with {@code inode} in a /proc/net/tcp table's text, or -1. */
    static int find(String table, String inode) {
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 9 && f[9].equals(inode) && f[3].equals("0A")) {
                return Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
            }
        }
        return -1;
    }
}
