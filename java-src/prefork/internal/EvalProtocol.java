package prefork.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The wire format for code sent to workers and their replies. A request is a header line
 * {@code eval <id> <ns bytes> <code bytes>} followed by the UTF-8 namespace and code; the same records, in
 * order, make the replay file that workers started later read at boot. A reply is one line, at most
 * {@link #MAX_REPLY_BYTES} so that it is written to the shared reply pipe atomically:
 * {@code <id> <pid> ok|error <text with \ and newlines escaped>}.
 */
public final class EvalProtocol {
    public static final int MAX_REPLY_BYTES = 4000;

    /** Code to evaluate in namespace {@code ns}; ids grow, so a worker can skip what it has already applied. */
    public record Request(long id, String ns, String code) {
        public byte[] encode() {
            byte[] nsBytes = ns.getBytes(StandardCharsets.UTF_8);
            byte[] codeBytes = code.getBytes(StandardCharsets.UTF_8);
            byte[] header = ("eval " + id + " " + nsBytes.length + " " + codeBytes.length + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[header.length + nsBytes.length + codeBytes.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(nsBytes, 0, all, header.length, nsBytes.length);
            System.arraycopy(codeBytes, 0, all, header.length + nsBytes.length, codeBytes.length);
            return all;
        }

        /** Reads the body of a request whose header line ({@code eval ...}, without newline) was just read. */
        public static Request readBody(String header, DataInputStream in) throws IOException {
            String[] parts = header.split(" ");
            byte[] ns = new byte[Integer.parseInt(parts[2])];
            byte[] code = new byte[Integer.parseInt(parts[3])];
            in.readFully(ns);
            in.readFully(code);
            return new Request(Long.parseLong(parts[1]), new String(ns, StandardCharsets.UTF_8),
                    new String(code, StandardCharsets.UTF_8));
        }
    }

    /** A worker's answer to one request: "ok" with the printed value, "error" with the message. */
    public record Reply(long id, long pid, boolean ok, String text) {
        public byte[] encode() {
            String escaped = text.replace("\\", "\\\\").replace("\n", "\\n");
            byte[] line = (id + " " + pid + " " + (ok ? "ok " : "error ") + escaped).getBytes(StandardCharsets.UTF_8);
            int length = Math.min(line.length, MAX_REPLY_BYTES - 1);
            byte[] out = new byte[length + 1];
            System.arraycopy(line, 0, out, 0, length);
            out[length] = '\n';
            return out;
        }

        /** Parses a reply line; returns null for a line that is not one. */
        public static Reply decode(String line) {
            String[] parts = line.split(" ", 4);
            if (parts.length < 3) {
                return null;
            }
            try {
                String text = parts.length == 4 ? unescape(parts[3]) : "";
                return new Reply(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2].equals("ok"), text);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        private static String unescape(String text) {
            StringBuilder out = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\\' && i + 1 < text.length()) {
                    char next = text.charAt(++i);
                    out.append(next == 'n' ? '\n' : next);
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }

    private EvalProtocol() {}

    /** Reads one '\n'-terminated ASCII line; null at EOF. */
    public static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                if (line.length() == 0) {
                    return null;
                }
                throw new EOFException("truncated line: " + line);
            }
            line.append((char) c);
        }
        return line.toString();
    }

    /** Appends a request to a replay stream. */
    public static void append(OutputStream replay, Request request) throws IOException {
        replay.write(request.encode());
        replay.flush();
    }
}
