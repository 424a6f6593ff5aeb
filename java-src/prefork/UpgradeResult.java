package prefork;

import java.time.Duration;

/**
 * A finished manager upgrade ({@link PreforkServer#upgrade}): the new manager's pid, and how long it took from
 * the start of the upgrade until the new manager was ready (this one then stops its workers and exits).
 */
public record UpgradeResult(long pid, Duration took) {}
