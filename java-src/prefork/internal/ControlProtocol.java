package prefork.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import prefork.EvalResult;

/**
 * Every message between the manager and a worker, both ends. On a worker's control pipe (fd 3), the manager
 * writes:
 * <ul>
 *   <li>{@code stop}: finish the current request, then exit;
 *   <li>{@code eval <id> <ns bytes> <code bytes>} then the UTF-8 namespace and code: evaluate between requests;
 *   <li>{@code serve}: every recorded code change has been sent; apply them, then start serving.
 * </ul>
 * EOF on the control pipe means the manager is gone. On the reply pipe shared by all workers (fd 5) each worker
 * answers an eval with one line of at most {@link #MAX_REPLY_BYTES} bytes, so that lines from different
 * workers never interleave: {@code <id> <pid> ok|error|timeout <text>}, then an error's details ({@link Reply}).
 */
public final class ControlProtocol {
    public static final int MAX_REPLY_BYTES = 4000;
    /** Larger namespace or code lengths are refused as garbage. */
    public static final int MAX_CODE_BYTES = 16 << 20;
    private static final int MAX_LINE = 200;

    private ControlProtocol() {}

    /** A message from the manager to one worker. */
    public sealed interface Message permits Stop, Serve, Eval {
        /** The bytes written into the control pipe. */
        byte[] encode();
    }

    /** Finish the current request and exit. */
    public record Stop() implements Message {
        @Override
        public byte[] encode() {
            return "stop\n".getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The recorded code changes have all been sent: start serving. */
    public record Serve() implements Message {
        @Override
        public byte[] encode() {
            return "serve\n".getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Code to evaluate in namespace {@code ns}; ids grow, so a worker can skip what it has applied already. */
    public record Eval(long id, String ns, String code) implements Message {
        @Override
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
    }

    /** Worker side: the next message on the control pipe; null at EOF. Throws IOException for garbage. */
    public static Message read(DataInputStream in) throws IOException {
        String line = readLine(in);
        if (line == null) {
            return null;
        }
        if (line.equals("stop")) {
            return new Stop();
        }
        if (line.equals("serve")) {
            return new Serve();
        }
        String[] parts = line.split(" ");
        if (parts.length != 4 || !parts[0].equals("eval")) {
            throw new IOException("not a control message: " + line);
        }
        try {
            byte[] ns = new byte[length(parts[2])];
            byte[] code = new byte[length(parts[3])];
            in.readFully(ns);
            in.readFully(code);
            return new Eval(Long.parseLong(parts[1]), new String(ns, StandardCharsets.UTF_8),
                    new String(code, StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            throw new IOException("not a control message: " + line);
        }
    }

    private static int length(String text) throws IOException {
        int length = Integer.parseInt(text);
        if (length < 0 || length > MAX_CODE_BYTES) {
            throw new IOException("code of " + text + " bytes refused");
        }
        return length;
    }

    /**
     * A worker's answer to one eval. On the pipe: {@code <id> <pid> <status> <text>}, then one
     * {@code \t<key>=<value>} per detail (error details, see {@link EvalResult#details()}); backslashes, newlines
     * and tabs in the text and values are escaped.
     */
    public record Reply(long id, long pid, EvalResult.Status status, String text, Map<String, String> details) {
        /** Detail values longer than this are cut, so that the details always fit in a reply line. */
        public static final int MAX_DETAIL_CHARS = 300;

        public Reply {
            details = details == null ? Map.of() : Map.copyOf(details);
        }

        /** A reply without details. */
        public Reply(long id, long pid, EvalResult.Status status, String text) {
            this(id, pid, status, text, Map.of());
        }

        /**
         * The reply line, at most {@link #MAX_REPLY_BYTES}, so that it is written atomically: details take at most
         * half (a detail that does not fit is left out), the text is cut to the rest.
         */
        public byte[] encode() {
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            for (Map.Entry<String, String> detail : new TreeMap<>(details).entrySet()) {
                String value = detail.getValue();
                byte[] field = ("\t" + escape(detail.getKey()) + "=" + escape(value.length() > MAX_DETAIL_CHARS
                        ? value.substring(0, MAX_DETAIL_CHARS) : value)).getBytes(StandardCharsets.UTF_8);
                if (tail.size() + field.length <= MAX_REPLY_BYTES / 2) {
                    tail.writeBytes(field);
                }
            }
            byte[] head = (id + " " + pid + " " + status.text() + " ").getBytes(StandardCharsets.UTF_8);
            byte[] rest = tail.toByteArray();
            byte[] body = fit(escape(text), MAX_REPLY_BYTES - 1 - head.length - rest.length);
            byte[] out = new byte[head.length + body.length + rest.length + 1];
            System.arraycopy(head, 0, out, 0, head.length);
            System.arraycopy(body, 0, out, head.length, body.length);
            System.arraycopy(rest, 0, out, head.length + body.length, rest.length);
            out[out.length - 1] = '\n';
            return out;
        }

        /** Manager side: parses a reply line; null for a line that is not one. */
        public static Reply decode(String line) {
            String[] fields = line.split("\t");
            String[] parts = fields[0].split(" ", 4);
            if (parts.length < 3) {
                return null;
            }
            try {
                EvalResult.Status status = EvalResult.Status.valueOf(parts[2].toUpperCase(java.util.Locale.ROOT));
                String text = parts.length == 4 ? unescape(parts[3]) : "";
                Map<String, String> details = new LinkedHashMap<>();
                for (int i = 1; i < fields.length; i++) {
                    int equals = fields[i].indexOf('=');
                    if (equals > 0) {
                        details.put(unescape(fields[i].substring(0, equals)), unescape(fields[i].substring(equals + 1)));
                    }
                }
                return new Reply(Long.parseLong(parts[0]), Long.parseLong(parts[1]), status, text, details);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        /** The result the manager's caller sees. */
        public EvalResult result() {
            return new EvalResult(pid, status, text, details);
        }

        private static String escape(String text) {
            return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
        }

        /** The UTF-8 bytes of {@code text}, cut (at a character boundary) to at most {@code limit} bytes. */
        private static byte[] fit(String text, int limit) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (bytes.length <= limit) {
                return bytes;
            }
            int end = Math.max(0, limit);
            while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
                end--;
            }
            return java.util.Arrays.copyOf(bytes, end);
        }

        private static String unescape(String text) {
            StringBuilder out = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\\' && i + 1 < text.length()) {
                    char next = text.charAt(++i);
                    out.append(next == 'n' ? '\n' : next == 't' ? '\t' : next);
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }

    /** Reads one '\n'-terminated ASCII line of at most 200 bytes; null at EOF. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                if (line.length() == 0) {
                    return null;
                }
                throw new EOFException("truncated control message: " + line);
            }
            if (line.length() >= MAX_LINE) {
                throw new IOException("control message too long: " + line);
            }
            line.append((char) c);
        }
        return line.toString();
    }
}
