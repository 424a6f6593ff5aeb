package prefork.manager;

import prefork.Log;

/** The user's log, made safe: a sink that throws is reported on stderr and never takes the supervisor down. */
final class GuardedLog implements Log {
    private final Log log;

    private GuardedLog(Log log) {
        this.log = log;
    }

    static Log of(Log log) {
        return log instanceof GuardedLog ? log : new GuardedLog(log);
    }

    @Override
    public void log(String line) {
        try {
            log.log(line);
        } catch (RuntimeException e) {
            System.err.println("prefork: the log failed (" + e + ") on: " + line);
        }
    }

    @Override
    public void reopen() {
        try {
            log.reopen();
        } catch (RuntimeException e) {
            System.err.println("prefork: reopening the log failed: " + e);
        }
    }
}
