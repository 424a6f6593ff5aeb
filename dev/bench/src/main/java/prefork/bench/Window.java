package prefork.bench;

/** The measured interval of a workload, in System.nanoTime(): results before {@code start} are warm-up. */
record Window(long start, long end) {
    boolean warmingUp(long now) {
        return now < start;
    }

    boolean over(long now) {
        return now >= end;
    }
}
