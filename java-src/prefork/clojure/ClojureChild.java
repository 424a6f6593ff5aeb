package prefork.clojure;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import java.util.Map;
import prefork.BaseChild;

/**
 * The one class of the Java core that touches Clojure. In a worker it is the child that runs a Clojure
 * handler: {@code initialize} asks {@code prefork.worker} to resolve the handler and hook vars named by the
 * child properties ("handler", "init", "allow?", "on-deny", "post-accept", "post-process", "on-shutdown",
 * "watch"), and every hook then calls those vars, so a redefinition takes effect on the next request. The
 * manager's side of Clojure is {@link ClojureBridge}.
 */
public class ClojureChild extends BaseChild {
    private Map<?, ?> hooks;
    private IFn requestMap;
    private Object request;

    @Override
    protected void initialize() {
        hooks = (Map<?, ?>) call("prefork.worker/boot!", this);
        requestMap = Clojure.var("prefork.worker", "request");
    }

    @Override
    protected void prepareForArchive() {
        call("prefork.worker/preload!", this);
    }

    @Override
    protected void postAccept() {
        request = requestMap.invoke(this);
        invokeHook("post-accept");
    }

    @Override
    protected boolean allowDeny() {
        Object allowed = hooks.containsKey("allow?") ? ((IFn) hooks.get("allow?")).invoke(request) : Boolean.TRUE;
        return allowed != null && !Boolean.FALSE.equals(allowed);
    }

    @Override
    protected void requestDenied() {
        invokeHook("on-deny");
    }

    @Override
    protected void processRequest() {
        ((IFn) hooks.get("handler")).invoke(request);
    }

    @Override
    protected void postProcessRequest() {
        try {
            invokeHook("post-process");
        } finally {
            request = null;
        }
    }

    @Override
    protected void shutdown() {
        if (hooks != null && hooks.containsKey("on-shutdown")) {
            ((IFn) hooks.get("on-shutdown")).invoke(error());
        }
    }

    @Override
    protected Object evaluate(String ns, String code) {
        return call("prefork.worker/evaluate", ns, code);
    }

    /** The root cause, the ex-data and the compiler's line and column (prefork.worker/failure-details). */
    @Override
    protected Map<String, String> evalFailureDetails(Throwable failure) {
        Map<String, String> details = new java.util.LinkedHashMap<>();
        ((Map<?, ?>) call("prefork.worker/failure-details", failure))
                .forEach((key, value) -> details.put(String.valueOf(key), String.valueOf(value)));
        return details;
    }

    private void invokeHook(String name) {
        Object hook = hooks.get(name);
        if (hook != null) {
            ((IFn) hook).invoke(request);
        }
    }

    private static Object call(String qualifiedName, Object... args) {
        IFn fn = Clojure.var(qualifiedName);
        if (!((clojure.lang.Var) fn).isBound()) {
            Clojure.var("clojure.core", "require").invoke(Clojure.read(qualifiedName.substring(0, qualifiedName.indexOf('/'))));
        }
        return fn.applyTo(clojure.lang.ArraySeq.create(args));
    }
}
