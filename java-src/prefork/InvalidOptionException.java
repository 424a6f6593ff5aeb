package prefork;

/**
 * An option refused: a value of the wrong type or out of range, or options that contradict each other. Every
 * refusal of every surface (the builder, the launcher's flags, the config file, the Clojure keys) is one of
 * these, so each surface can name the option in its own vocabulary with {@link #messageFor(Option.Surface)}.
 */
public final class InvalidOptionException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final transient Option<?> option;
    private final transient Object value;
    private final String reason;
    private final transient Option<?> other;
    private final transient Object otherValue;

    /** {@code option} has {@code value}, which is wrong because {@code reason} ("must be between 0 and 9"). */
    public InvalidOptionException(Option<?> option, Object value, String reason) {
        this(option, value, reason, null, null);
    }

    /**
     * {@code option} has {@code value}, which contradicts {@code other}'s {@code otherValue}; {@code reason}
     * has one {@code %s} where the other option and its value go ("is greater than %s").
     */
    public InvalidOptionException(Option<?> option, Object value, String reason, Option<?> other, Object otherValue) {
        super(format(Option.Surface.JAVA, option, value, reason, other, otherValue));
        this.option = option;
        this.value = value;
        this.reason = reason;
        this.other = other;
        this.otherValue = otherValue;
    }

    /** The option refused. */
    public Option<?> option() {
        return option;
    }

    /** The value refused, as it was given (a string from a flag or a file, an object from Java or Clojure). */
    public Object value() {
        return value;
    }

    /** Why, without the option's name: "must be between 1 and 500". */
    public String reason() {
        return other == null ? reason : String.format(reason, Option.describe(Option.Surface.JAVA, other, otherValue));
    }

    /** The message with options named as {@code surface} names them: {@code --max-servers=0 ...}, {@code :max-servers 0 ...}. */
    public String messageFor(Option.Surface surface) {
        return format(surface, option, value, reason, other, otherValue);
    }

    private static String format(Option.Surface surface, Option<?> option, Object value, String reason,
            Option<?> other, Object otherValue) {
        String why = other == null ? reason : String.format(reason, Option.describe(surface, other, otherValue));
        return Option.describe(surface, option, value) + " " + why;
    }
}
