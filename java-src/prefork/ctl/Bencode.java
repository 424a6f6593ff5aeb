package prefork.ctl;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bencode, nREPL's wire format, both ways: strings (UTF-8 byte strings), whole numbers, lists and maps with
 * string keys. Decoding is bounded: a string longer than {@link #MAX_STRING_BYTES} or nesting deeper than
 * {@link #MAX_DEPTH} is refused, so a misbehaving peer cannot make the client allocate without end.
 */
final class Bencode {
    static final int MAX_STRING_BYTES = 64 << 20;
    static final int MAX_DEPTH = 64;

    private Bencode() {}

    /** The encoding of {@code value}: a String, Integer or Long, List or Map with String keys. */
    static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, value);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, Object value) {
        if (value instanceof String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            out.writeBytes((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(bytes);
        } else if (value instanceof Integer || value instanceof Long) {
            out.writeBytes(("i" + value + "e").getBytes(StandardCharsets.US_ASCII));
        } else if (value instanceof List<?> list) {
            out.write('l');
            for (Object item : list) {
                write(out, item);
            }
            out.write('e');
        } else if (value instanceof Map<?, ?> map) {
            out.write('d');
            for (Map.Entry<?, ?> entry : new java.util.TreeMap<>(map).entrySet()) {
                write(out, (String) entry.getKey());
                write(out, entry.getValue());
            }
            out.write('e');
        } else {
            throw new IllegalArgumentException("bencode cannot write " + value);
        }
    }

    /** The next value from {@code in}: String, Long, List or Map; null at a clean end of stream. */
    static Object read(InputStream in) throws IOException {
        int first = in.read();
        return first < 0 ? null : read(in, first, 0);
    }

    private static Object read(InputStream in, int first, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("bencode nested deeper than " + MAX_DEPTH);
        }
        switch (first) {
            case 'i':
                return number(in, 'e', -1);
            case 'l': {
                List<Object> list = new ArrayList<>();
                for (int next = next(in); next != 'e'; next = next(in)) {
                    list.add(read(in, next, depth + 1));
                }
                return list;
            }
            case 'd': {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int next = next(in); next != 'e'; next = next(in)) {
                    Object key = read(in, next, depth + 1);
                    if (!(key instanceof String text)) {
                        throw new IOException("bencode map key is not a string: " + key);
                    }
                    map.put(text, read(in, next(in), depth + 1));
                }
                return map;
            }
            default:
                if (first < '0' || first > '9') {
                    throw new IOException("not bencode: byte " + first);
                }
                long length = number(in, ':', first - '0');
                if (length > MAX_STRING_BYTES) {
                    throw new IOException("bencode string of " + length + " bytes refused");
                }
                byte[] bytes = in.readNBytes((int) length);
                if (bytes.length < length) {
                    throw new EOFException("the server closed the connection mid-string");
                }
                return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** Digits (an optional leading '-') up to {@code end}; {@code first} is a digit already read, or -1. */
    private static long number(InputStream in, int end, int first) throws IOException {
        long value = Math.max(first, 0);
        boolean negative = false;
        int digits = first >= 0 ? 1 : 0;
        for (int c = next(in); c != end; c = next(in)) {
            if (c == '-' && digits == 0 && !negative) {
                negative = true;
            } else if (c >= '0' && c <= '9' && digits < 18) {
                value = value * 10 + (c - '0');
                digits++;
            } else {
                throw new IOException("not a bencode number: byte " + c);
            }
        }
        return negative ? -value : value;
    }

    private static int next(InputStream in) throws IOException {
        int c = in.read();
        if (c < 0) {
            throw new EOFException("the server closed the connection mid-message");
        }
        return c;
    }
}
