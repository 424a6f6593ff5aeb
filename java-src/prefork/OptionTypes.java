package prefork;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The value types of the option catalogue ({@link Options}): how each kind of option reads text (a flag, a
 * config file) and values (Java, Clojure), each failing with IllegalArgumentException and the reason only.
 */
final class OptionTypes {
    private static final long LONGEST_SECONDS = Duration.ofDays(3650).toSeconds();

    private OptionTypes() {}


    static Option.Type<Integer> integer(int low, int high) {
        Option.Type<Long> whole = longs(low, high);
        return new Option.Type<>(whole.argument(), text -> whole.fromText().apply(text).intValue(),
                value -> whole.fromValue().apply(value).intValue());
    }

    static Option.Type<Long> longs(long low, long high) {
        Function<Long, Long> inRange = n -> {
            if (n < low || n > high) {
                throw new IllegalArgumentException("is out of range: it must be between " + low + " and " + high);
            }
            return n;
        };
        return new Option.Type<>("N", text -> inRange.apply(wholeNumber(text)), value -> inRange.apply(whole(value)));
    }

    static long wholeNumber(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
    }

    static long whole(Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        throw new IllegalArgumentException("is not a whole number");
    }

    static Option.Type<Boolean> bool() {
        return new Option.Type<>("true|false", text -> switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("is not true or false");
        }, value -> {
            if (value instanceof Boolean b) {
                return b;
            }
            throw new IllegalArgumentException("is not true or false");
        });
    }

    static Option.Type<Duration> seconds() {
        Function<Double, Duration> inRange = s -> {
            if (s.isNaN() || s < 0 || s > LONGEST_SECONDS) {
                throw new IllegalArgumentException("must be a number of seconds between 0 and " + LONGEST_SECONDS);
            }
            return Duration.ofNanos(Math.round(s * 1e9));
        };
        return new Option.Type<>("SECONDS", text -> {
            try {
                return inRange.apply(Double.parseDouble(text));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("is not a number of seconds");
            }
        }, value -> {
            if (value instanceof Duration d) {
                return inRange.apply(d.getSeconds() + d.getNano() / 1e9);
            }
            if (value instanceof Number n) {
                return inRange.apply(n.doubleValue());
            }
            throw new IllegalArgumentException("is not a number of seconds");
        });
    }

    /** A size in bytes: a whole number, optionally with k, m or g (binary units: 1m = 1048576); at least 1m. */
    static Option.Type<Long> size() {
        Function<String, Long> of = text -> {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,12})([kKmMgG]?)").matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("is not a size like 200m or 1g (k, m, g: KiB, MiB, GiB)");
            }
            int shift = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                default -> 0;
            };
            long bytes = Long.parseLong(m.group(1)) << shift;
            if (bytes < (1L << 20) || bytes > (1L << 50)) {
                throw new IllegalArgumentException("is out of range: it must be between 1m and 1048576g");
            }
            return bytes;
        };
        return new Option.Type<>("SIZE", of, value -> value instanceof String text ? of.apply(text)
                : of.apply(Long.toString(whole(value))));
    }

    /** One of {@code names}, as text or a Clojure keyword. */
    static Option.Type<String> choice(String... names) {
        List<String> known = List.of(names);
        Function<String, String> of = text -> {
            if (!known.contains(text)) {
                throw new IllegalArgumentException("is unknown: use " + String.join(" or ", known));
            }
            return text;
        };
        return new Option.Type<>(String.join("|", known), of, value -> of.apply(stringOf(value)));
    }

    static Option.Type<String> text(String argument) {
        return new Option.Type<>(argument, text -> text, value -> {
            if (value instanceof String s) {
                return s;
            }
            throw new IllegalArgumentException("is not a string");
        });
    }

    static Option.Type<Path> path() {
        Function<String, Path> of = text -> {
            if (text.isEmpty() || text.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("is not a file path");
            }
            return Path.of(text);
        };
        return new Option.Type<>("PATH", of, value -> value instanceof Path p ? p : of.apply(stringOf(value)));
    }

    static Option.Type<Protocol> protocol() {
        Function<String, Protocol> of = text -> Protocol.of(text).orElseThrow(
                () -> new IllegalArgumentException("is unknown: use tcp, tls, udp or unix"));
        return new Option.Type<>("tcp|tls|udp|unix", of,
                value -> value instanceof Protocol p ? p : of.apply(stringOf(value)));
    }

    static Option.Type<String> octalMode() {
        Function<String, String> of = text -> {
            if (!text.matches("0?[0-7]{3}")) {
                throw new IllegalArgumentException("is not an octal file mode like 660");
            }
            return text.substring(text.length() - 3);
        };
        return new Option.Type<>("MODE", of, value -> of.apply(stringOf(value)));
    }

    /** Whitespace-separated words from text; a list of strings from a value. */
    static Option.Type<List<String>> words() {
        return new Option.Type<>("\"FLAGS\"", text -> text.isEmpty() ? List.of() : List.of(text.split("\\s+")),
                value -> {
                    List<String> out = new ArrayList<>();
                    for (Object item : listOfValues(value)) {
                        out.add(stringOf(item));
                    }
                    return List.copyOf(out);
                });
    }

    /** One element from text (the flag is repeatable); one or a list of elements from a value. */
    static <E> Option.Type<List<E>> listOf(String argument, Class<E> elementType, Function<String, E> element) {
        return new Option.Type<>(argument, text -> List.of(element.apply(text)), value -> {
            List<E> out = new ArrayList<>();
            for (Object item : value instanceof String ? List.of(value) : listOfValues(value)) {
                if (item instanceof String text) {
                    out.add(element.apply(text));
                } else if (elementType.isInstance(item)) {
                    out.add(elementType.cast(item));
                } else {
                    throw new IllegalArgumentException("must hold strings");
                }
            }
            return List.copyOf(out);
        });
    }

    static Option.Type<Map<String, String>> properties() {
        return new Option.Type<>("NAME=VALUE", text -> {
            int eq = text.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("must be NAME=VALUE");
            }
            return Map.of(text.substring(0, eq), text.substring(eq + 1));
        }, value -> {
            if (!(value instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("must be a map of names to values");
            }
            Map<String, String> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(nameOf(k), String.valueOf(v)));
            return out;
        });
    }

    /** A CIDR block's text, checked and normalized (prefork.internal.AddressPolicy.Cidr). */
    static String cidr(String text) {
        return prefork.internal.AddressPolicy.Cidr.parse(text).toString();
    }

    static String namespace(String text) {
        if (!text.matches("[^\\s/,]+")) {
            throw new IllegalArgumentException("is not a namespace name");
        }
        return text;
    }

    static List<?> listOfValues(Object value) {
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Collection<?> collection) {
            return List.copyOf(collection);
        }
        throw new IllegalArgumentException("must be a list");
    }

    static String stringOf(Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("is not a string");
    }

    /** A Clojure keyword or symbol's name without reaching for Clojure: ":a" or "a" -> "a". */
    static String nameOf(Object key) {
        String text = String.valueOf(key);
        return text.startsWith(":") ? text.substring(1) : text;
    }

    static Path defaultCacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isEmpty() ? Path.of(xdg, "prefork")
                : Path.of(System.getProperty("user.home"), ".cache", "prefork");
    }
}
