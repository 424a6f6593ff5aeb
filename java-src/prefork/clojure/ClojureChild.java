package prefork.clojure;

import clojure.lang.IFn;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Var;
import java.util.Map;
import prefork.BaseChild;

/**
 * The one class of the Java core that touches Clojure. In a worker it is the child that runs a Clojure
 * handler: {@code initialize} asks {@code prefork.worker} to resolve the handler and hook vars named by the
 * child properties ("handler", "init", "allow?", "on-deny", "post-accept", "post-process", "on-shutdown",
 * "watch"), and every hook then calls those vars, so a redefinition takes effect on the next request. The
 * manager's side of Clojure is {@link ClojureBridge}.
 *
 * <p>It reaches Clojure through {@code clojure.lang.RT}, which loads clojure.core, and not through
 * {@code clojure.java.api.Clojure}, whose first use also runs {@code RT.init()}: that looks for a
 * {@code user.clj} in every jar of the class path and loads it if there is one (a development REPL's helpers,
 * in every worker), and requires clojure.core.server with clojure.main, spec and edn to see whether socket
 * REPL properties are set. About 25 ms of each Clojure worker's boot (BENCHMARKS.md); code that needs those
 * namespaces requires them.
 */
public class ClojureChild extends BaseChild {
    /** The vars the child properties named, or null for a hook that was not given; vars, so redefinitions count. */
    private IFn handler, allow, onDeny, postAcceptHook, postProcess, onShutdown;
    private IFn requestMap;
    private Object request;

    @Override
    protected void initialize() {
        Map<?, ?> hooks = (Map<?, ?>) call("prefork.worker/boot!", this);
        handler = (IFn) hooks.get("handler");
        allow = (IFn) hooks.get("allow?");
        onDeny = (IFn) hooks.get("on-deny");
        postAcceptHook = (IFn) hooks.get("post-accept");
        postProcess = (IFn) hooks.get("post-process");
        onShutdown = (IFn) hooks.get("on-shutdown");
        requestMap = RT.var("prefork.worker", "request");
    }

    @Override
    protected void prepareForArchive() {
        call("prefork.worker/preload!", this);
    }

    @Override
    protected void postAccept() {
        request = requestMap.invoke(this);
        invoke(postAcceptHook);
    }

    @Override
    protected boolean allowDeny() {
        Object allowed = allow == null ? Boolean.TRUE : allow.invoke(request);
        return allowed != null && !Boolean.FALSE.equals(allowed);
    }

    @Override
    protected void requestDenied() {
        invoke(onDeny);
    }

    @Override
    protected void processRequest() {
        handler.invoke(request);
    }

    @Override
    protected void postProcessRequest() {
        try {
            invoke(postProcess);
        } finally {
            request = null;
        }
    }

    @Override
    protected void shutdown() {
        if (onShutdown != null) {
            onShutdown.invoke(error());
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

    private void invoke(IFn hook) {
        if (hook != null) {
            hook.invoke(request);
        }
    }

    /** Calls the var {@code ns/name}, requiring {@code ns} first when the var is not bound yet. */
    private static Object call(String qualifiedName, Object... args) {
        String ns = qualifiedName.substring(0, qualifiedName.indexOf('/'));
        Var fn = RT.var(ns, qualifiedName.substring(ns.length() + 1));
        if (!fn.isBound()) {
            RT.var("clojure.core", "require").invoke(Symbol.intern(ns));
        }
        return fn.applyTo(clojure.lang.ArraySeq.create(args));
    }
}
