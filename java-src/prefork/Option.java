package prefork;

import java.util.Objects;
import java.util.function.Function;

/**
 * One entry of the option catalogue ({@link Options}): its names on each surface, its type, its default and a
 * line of help. A value reaches an option from Java as an object ({@link #check}), from the launcher and the
 * config file as text ({@link #parse}), and from Clojure as a Clojure value ({@link #convert}); each way
 * either returns the typed value or throws {@link InvalidOptionException} naming this option and the value.
 *
 * @param <T> the value's Java type
 */
public final class Option<T> {
    /** Where an option was given, which decides how it is named in messages. */
    public enum Surface {
        /** The builder: {@code maxServers=0}. */
        JAVA,
        /** The launcher's flags and the config file: {@code --max-servers=0}. */
        LAUNCHER,
        /** The Clojure API's option map: {@code :max-servers 0}. */
        CLOJURE
    }

    /** How text and Clojure values become a T; each throws IllegalArgumentException with the reason only. */
    record Type<T>(String argument, Function<String, T> fromText, Function<Object, T> fromValue) {}

    private final String name;
    private final String kebab;
    private final Type<T> type;
    private final T defaultValue;
    private final String defaultText;
    private final String help;
    private final boolean repeatable;

    Option(String name, String kebab, Type<T> type, T defaultValue, String defaultText, String help,
            boolean repeatable) {
        this.name = name;
        this.kebab = kebab;
        this.type = type;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.help = help;
        this.repeatable = repeatable;
    }

    /** The builder method's name: {@code maxServers}. */
    public String name() {
        return name;
    }

    /** The kebab-case name: the flag without "--", the Clojure keyword without ":", the config file key. */
    public String kebab() {
        return kebab;
    }

    /** The launcher flag: {@code --max-servers}. */
    public String flag() {
        return "--" + kebab;
    }

    /** The Clojure keyword as written: {@code :max-servers}. */
    public String keyword() {
        return ":" + kebab;
    }

    /** This option's name as {@code surface} writes it. */
    public String nameIn(Surface surface) {
        return switch (surface) {
            case JAVA -> name;
            case LAUNCHER -> flag();
            case CLOJURE -> keyword();
        };
    }

    /** What the flag takes, for --help: "N", "SECONDS", "PATH", "true|false". */
    public String argument() {
        return type.argument();
    }

    /** The default value; null where there is none (the option is off or unset). */
    public T defaultValue() {
        return defaultValue;
    }

    /** The default as the help and the README show it. */
    public String defaultText() {
        return defaultText;
    }

    /** One line of help. */
    public String help() {
        return help;
    }

    /** Whether the launcher flag may be given several times (each adds one value). */
    public boolean repeatable() {
        return repeatable;
    }

    /** Checks a typed value (its range, its form); returns it, or throws InvalidOptionException naming this option. */
    public T check(T value) {
        if (value == null) {
            throw new InvalidOptionException(this, null, "must not be null");
        }
        return convert(value);
    }

    /** The value written as {@code text} (a flag's argument, a config file's value), checked. */
    public T parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return type.fromText().apply(text.trim());
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(this, text, e.getMessage());
        }
    }

    /** The value given as a Java or Clojure object (numbers, booleans, strings, lists, maps), checked. */
    public T convert(Object value) {
        if (value == null) {
            throw new InvalidOptionException(this, null, "must not be nil or null");
        }
        try {
            return type.fromValue().apply(value);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new InvalidOptionException(this, value,
                    e instanceof ClassCastException ? "has the wrong type" : e.getMessage());
        }
    }

    /** "--max-servers=0", ":max-servers 0" or "maxServers=0": an option and a value as a surface writes them. */
    static String describe(Surface surface, Option<?> option, Object value) {
        String shown = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        return switch (surface) {
            case JAVA -> option.name + "=" + shown;
            case LAUNCHER -> option.flag() + "=" + shown;
            case CLOJURE -> option.keyword() + " " + shown;
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
