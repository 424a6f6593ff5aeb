(ns prefork.nrepl
  "The control plane: an nREPL server in the manager JVM. Its middleware binds prefork.server/*server* in
  every session, so (prefork.repl/workers) needs no argument; mirrors definitions into the workers: each
  top-level form of an eval that defines or loads code (prefork.mirror/defines?) in a watched namespace, and
  a load-file of a watched namespace's file, go to every live worker as a redefinition once the manager has
  evaluated them; everything else runs in the manager only. It reports each worker's result, and exposes
  the controls as nREPL ops (prefork/status, prefork/workers, prefork/stats, prefork/resize, prefork/reload,
  prefork/stop, prefork/upgrade, prefork/eval, prefork/eval-in-workers) for any nREPL client, `prefork ctl` among them: the
  ops ctl uses, their parameters and answers are documented, with the client's end, in
  java-src/prefork/ctl/CtlProtocol.java."
  (:require [clojure.string :as str]
            [nrepl.middleware :refer [set-descriptor!]]
            [nrepl.middleware.interruptible-eval :as interruptible-eval]
            [nrepl.misc :refer [response-for]]
            [nrepl.server :as nrepl-server]
            [nrepl.transport :as t]
            [prefork.mirror :as mirror]
            [prefork.nrepl-bencode :as bencode]
            [prefork.nrepl-guard :as guard]
            [prefork.server :as ps])
  (:import (java.io StringWriter)
           (prefork InvalidOptionException Option$Surface PreforkServer)
           (prefork.manager StatusTable)))

(set! *warn-on-reflection* true)

(defn- file-ns
  "The namespace a load-file message loads into: its file's ns form, else its :ns, else the session's *ns*."
  [{:keys [file ns session]}]
  (or (try (let [form (read-string file)]
             (when (and (seq? form) (= 'ns (first form))) (str (second form))))
           (catch Exception _ nil))
      ns
      (some-> session deref (get #'*ns*) ns-name str)))

(defn- done? [response]
  (some #{"done"} (map name (:status response))))

(defn- failed? [response]
  (or (:ex response) (some #{"eval-error"} (map name (:status response)))))

(defn- watched? [server ns-name]
  (contains? (.watchedNamespaces ^PreforkServer server) (str ns-name)))

(defn- kept?
  "Whether a redefinition with these results stayed recorded: the rule of prefork.EvalResult/kept."
  [results]
  (let [statuses (set (map :status (vals results)))]
    (or (not (statuses :error)) (boolean (statuses :ok)))))

(defn- summary
  "What the client reads on :out: how many workers applied the code, each failure's root cause, and whether a
  redefinition was recorded."
  [results redefinition?]
  (let [ok (count (filter #(= :ok (:status %)) (vals results)))
        failures (for [[pid {:keys [status value]}] results :when (not= status :ok)]
                   (str "\nprefork: worker " pid " " (name status) ": " value))]
    (str "prefork: applied in " ok " of " (count results) " workers"
         (apply str failures)
         (when (and redefinition? (seq failures))
           (if (kept? results)
             "\nprefork: recorded; the workers that failed are replaced by workers that replay it"
             "\nprefork: not recorded (it failed in every worker); the workers keep their code"))
         "\n")))

(defn- wire-results
  "The results as bencode can carry them: one map per worker with string keys (\"pid\" \"status\" \"value\", and
  for an error \"root-class\" \"root-message\" \"ex-data\" \"line\" \"column\" when known)."
  [results]
  (vec (for [[pid result] results]
         (into {"pid" pid}
               (map (fn [[k v]] [(name k) (if (keyword? v) (name v) v)]))
               result))))

(defn- report!
  "Sends the workers' results on the message's transport: the summary on :out, then :prefork/results."
  [msg results redefinition?]
  (t/send (:transport msg) (response-for msg {:out (summary results redefinition?)}))
  (t/send (:transport msg) (response-for msg {:prefork/results (wire-results results)})))

(defn eval-form
  "nREPL's :eval function for every eval of the control plane (wrap-prefork names it in the message):
  evaluates one top-level form here; then, if it defines or loads code (prefork.mirror/defines?) and it is
  evaluated in a watched namespace (or is an ns form naming one), sends its source text to every live worker
  as a redefinition and reports their results. Returns the form's value; an exception in the manager is
  thrown before anything is sent."
  [form]
  (let [{::keys [server current evaluate] :as msg} interruptible-eval/*msg*
        here (ns-name *ns*)
        mirror? (and (or (watched? server here)
                         (some->> (mirror/ns-form-target form) (watched? server)))
                     (mirror/defines? form))
        value (evaluate form)]
    (when mirror?
      (flush)
      (report! msg (ps/redefine! server (mirror/padded @current) {:ns here}) true))
    value))

(defn- mirroring-eval
  "The eval message, its code read one top-level form at a time and each form evaluated by eval-form."
  [{:keys [code line column read-cond] :as msg} server]
  (let [current (atom nil)]
    (assoc msg
           :code (mirror/forms code (when (number? line) line) (when (number? column) column)
                               (or (some-> read-cond keyword) :allow) #(reset! current %))
           :eval (str `eval-form)
           ::server server
           ::current current
           ::evaluate (or (some-> (:eval msg) symbol find-var) eval))))

(defn- mirroring-transport
  "For load-file: passes every response through; when the load is done without an error, sends the file to
  the workers first, as a redefinition in namespace `ns-name`, and reports their results."
  [transport msg server ns-name code]
  (let [failed (atom false)]
    (reify t/Transport
      (recv [_] (t/recv transport))
      (recv [_ timeout] (t/recv transport timeout))
      (send [this response]
        (when (failed? response) (reset! failed true))
        (when (and (done? response) (not @failed))
          (report! (assoc msg :transport transport) (ps/redefine! server code {:ns ns-name}) true))
        (t/send transport response)
        this))))

(defn- bounds-params [msg]
  (into {} (for [k [:min-servers :max-servers :min-spare-servers :max-spare-servers]
                 :let [v (get msg k)]
                 :when v]
             [k (if (string? v) (Long/parseLong v) v)])))

(defn- wire
  "A map as bencode can carry it: keyword keys and values become names, numbers that are not whole and nil
  become strings."
  [m]
  (into {} (map (fn [[k v]] [(name k) (cond (keyword? v) (name v)
                                            (map? v) (wire v)
                                            (integer? v) v
                                            :else (str v))]))
        m))

(defn- eval-in-workers-op
  "The prefork/eval-in-workers op: `code` in every live worker, recorded when `record` is \"true\"."
  [{:keys [code ns record timeout-seconds session] :as msg} server]
  (when-not (string? code)
    (throw (ex-info "prefork/eval-in-workers needs \"code\", a string" {})))
  (let [ns-name (or ns (some-> session deref (get #'*ns*) ns-name str) "user")
        timeout (cond (number? timeout-seconds) timeout-seconds
                      (string? timeout-seconds) (parse-double timeout-seconds)
                      :else 10)
        record? (contains? #{"true" true 1} record)
        results (if record?
                  (ps/redefine! server code {:ns ns-name :timeout-seconds timeout})
                  (ps/eval-in-workers server code {:ns ns-name :timeout-seconds timeout}))]
    (report! msg results record?)
    {}))

(defn- json-string [^String s]
  (let [out (StringBuilder. "\"")]
    (doseq [c s]
      (case c
        \" (.append out "\\\"")
        \\ (.append out "\\\\")
        \newline (.append out "\\n")
        \return (.append out "\\r")
        \tab (.append out "\\t")
        (if (< (int c) 32)
          (.append out (format "\\u%04x" (int c)))
          (.append out (char c)))))
    (str (.append out "\""))))

(defn- json
  "Plain data (maps, sequences, strings, keywords, numbers, booleans, nil) as JSON text."
  [x]
  (cond (nil? x) "null"
        (boolean? x) (str x)
        (integer? x) (str x)
        (number? x) (let [d (double x)] (if (or (Double/isNaN d) (Double/isInfinite d)) "null" (str d)))
        (keyword? x) (json-string (name x))
        (string? x) (json-string x)
        (map? x) (str "{" (str/join "," (for [[k v] x] (str (json-string (if (keyword? k) (name k) (str k))) ":" (json v)))) "}")
        (sequential? x) (str "[" (str/join "," (map json x)) "]")
        :else (json-string (str x))))

(defn- lines
  "\"key value\" lines, nested maps flattened as key.subkey."
  [m]
  (apply str (for [[k v] (sort-by (comp str key) m)]
               (if (map? v)
                 (lines (into {} (map (fn [[k2 v2]] [(str (name k) "." (name k2)) v2])) v))
                 (str (name k) " " (if (keyword? v) (name v) (if (nil? v) "-" v)) "\n")))))

(defn- formatted
  "The answer of an op that has data (from `data-fn`) and a text form (from `text-fn`), in the message's
  :format: json, text, or bencoded data."
  [msg k data-fn text-fn]
  (case (:format msg)
    "json" {:json (json (data-fn))}
    "text" {:text (text-fn)}
    (let [data (data-fn)] {k (if (map? data) (wire data) (mapv wire data))})))

(defn- eval-op
  "prefork/eval: `code` in the manager (value printed, output captured) or, with workers \"true\", in every live
  worker (one result per worker; an error status when any failed)."
  [msg server]
  (let [ns-name (or (:ns msg) "user")
        code (or (:code msg) (throw (ex-info "prefork/eval needs code" {})))]
    (if (= "true" (str (:workers msg)))
      (let [results (ps/eval-in-workers server code {:ns ns-name
                                                     :timeout-seconds (Double/parseDouble (str (or (:timeout msg) 10)))})
            failed (remove (comp #{:ok} :status val) results)]
        (cond-> {:results (vec (for [[pid {:keys [status value]}] results]
                                 {"pid" pid "status" (name status) "value" value}))}
          (seq failed) (assoc :err (str (count failed) " of " (count results) " workers did not answer ok\n")
                              :status #{:error})))
      (let [target (or (find-ns (symbol ns-name)) (throw (ex-info (str "no namespace " ns-name " in the manager") {})))
            out (StringWriter.)
            value (binding [*out* out *ns* target ps/*server* server]
                    (load-string code))]
        {:value (pr-str value) :out (str out)}))))

(defn- refusal
  "The reason of a failed control op: an invalid option in the words of the launcher (ctl's flags); else the
  message, and the root cause's class and message when it is another exception (an eval's)."
  [^Throwable e]
  (let [chain (take-while some? (iterate ex-cause e))
        ^Throwable root (last chain)]
    (if-let [^InvalidOptionException invalid (some #(when (instance? InvalidOptionException %) %) chain)]
      (.messageFor invalid Option$Surface/LAUNCHER)
      (str (or (ex-message e) (str e))
           (when-not (identical? root e) (str "; caused by " (.getName (class root)) ": " (ex-message root)))))))

(defn- upgrade-op
  "Upgrades the manager. The whole answer goes out once the new manager is ready, before this one starts
  stopping (which closes the connection); returns ::answered."
  [{:keys [transport jar] :as msg} server]
  (ps/upgrade! server {:jar (not-empty (str jar))
                       :on-ready (fn [{:keys [pid millis]}]
                                   (t/send transport (response-for msg {:pid pid :millis millis}))
                                   (t/send transport (response-for msg {:status #{:done}})))})
  ::answered)

(defn- control-op [{:keys [op transport] :as msg} ^PreforkServer server]
  (try
    (let [answer (case op
                   "prefork/status" {:status-table (.statusTable server)}
                   "prefork/workers" (formatted msg :workers #(ps/workers server)
                                                #(StatusTable/rows (.workers server) (> (count (.listeners server)) 1)))
                   "prefork/stats" (formatted msg :stats #(ps/stats server) #(lines (ps/stats server)))
                   "prefork/resize" {:bounds (wire (ps/resize! server (bounds-params msg)))}
                   "prefork/reload" (do (ps/reload! server) {:reloading "true"})
                   "prefork/upgrade" (upgrade-op msg server)
                   "prefork/stop" {:stopping (if (= "true" (str (:now msg))) "now" "graceful")}
                   "prefork/eval" (eval-op msg server)
                   "prefork/eval-in-workers" (eval-in-workers-op msg server)
                   (throw (ex-info (str "unknown prefork op " op) {})))
          status (when (map? answer) (:status answer))]
      (when-not (= ::answered answer)
        (t/send transport (response-for msg (dissoc answer :status)))
        (t/send transport (response-for msg {:status (conj (or status #{}) :done)})))
      (when (= op "prefork/stop")
        (if (= "now" (:stopping answer)) (.shutdownNow server) (.shutdown server))))
    (catch Exception e
      (t/send transport (response-for msg {:err (str (refusal e) "\n") :status #{:error :done}})))))

(defn wrap-prefork
  "nREPL middleware for the prefork control plane (see the namespace docstring). Finds its server in the
  message under ::server, which `start!` adds."
  [h]
  (fn [{:keys [op session] :as msg}]
    (let [server (::server msg)]
      (when (and server session (not (identical? server (get @session #'ps/*server*))))
        (swap! session assoc #'ps/*server* server))
      (cond
        (nil? server) (h msg)
        (str/starts-with? (str op) "prefork/") (control-op msg server)
        (and (= op "eval") (string? (:code msg))) (h (mirroring-eval msg server))
        (and (= op "load-file") (some->> (file-ns msg) (watched? server)))
        (h (assoc msg :transport (mirroring-transport (:transport msg) msg server (file-ns msg) (:file msg))))
        :else (h msg)))))

(def ^:private mirroring-rule
  (str "In a watched namespace (the handler's, :watch, watch-ns!), an eval's top-level forms that define or load "
       "code (def, defn, defn-, defmacro, defmulti, defmethod, defonce, defprotocol, defrecord, deftype, "
       "definterface, extend, extend-type, extend-protocol, declare, intern, ns, require, use, import, refer, "
       "alias, load, load-file, and any macro of yours that expands to one) are evaluated in the manager, then "
       "sent to every live worker and recorded for later ones; a load-file of a watched namespace's file is "
       "sent whole. Everything else (control calls, println, in-ns, alter-var-root...) runs in the manager "
       "only."))

(set-descriptor! #'wrap-prefork
                 {:requires #{"clone"}
                  :expects #{"eval" "load-file"}
                  :handles {"prefork/status" {:doc "The status table: one row per worker, then the pool bounds and totals."
                                              :returns {"status-table" "Text."}}
                            "prefork/workers" {:doc "Lists the live workers: slot, pid, state, requests, started-at, last-active, generation, listener, busy-ms, client, rss-bytes, pss-bytes, cpu-seconds, previous-exit, and stale (why) on a worker being replaced because it does not run the recorded code."
                                               :optional {"format" "\"json\" or \"text\" (the table's rows)"}
                                               :returns {"workers" "A list of maps, one per worker."
                                                         "json" "With format json." "text" "With format text."}}
                            "prefork/stats" {:doc "Counters (served, spawned, exits by cause), busy/idle/starting counts and the pool bounds."
                                             :optional {"format" "\"json\" or \"text\" (key value lines)"}
                                             :returns {"stats" "A map." "json" "With format json." "text" "With format text."}}
                            "prefork/stop" {:doc "Stops the server after answering: gracefully (as TERM), or at once with now."
                                            :optional {"now" "\"true\": kill the workers at once"}
                                            :returns {"stopping" "\"graceful\" or \"now\""}}
                            "prefork/eval" {:doc "Evaluates code in the manager, or with workers \"true\" in every live worker."
                                            :requires {"code" "Clojure source"}
                                            :optional {"ns" "namespace (default user)" "workers" "\"true\""
                                                       "timeout" "seconds the workers may take (default 10)"}
                                            :returns {"value" "The manager's value, printed." "out" "What it printed."
                                                      "results" "Per worker: pid, status (ok, error, timeout), value."}}
                            "prefork/resize" {:doc "Changes the pool bounds live; omitted bounds are kept."
                                              :optional {"min-servers" "integer" "max-servers" "integer"
                                                         "min-spare-servers" "integer" "max-spare-servers" "integer"}
                                              :returns {"bounds" "The bounds now in force."}}
                            "prefork/upgrade" {:doc "Zero-downtime upgrade of the manager: a new manager (this one's command line, or jar) inherits the listeners, control plane, metrics port and pid file; once it is ready this one stops gracefully. Fails (error) when the new manager is not ready within startTimeout: it is stopped and this one carries on."
                                               :optional {"jar" "path of the jar the new manager runs (default: this manager's command line)"}
                                               :returns {"pid" "The new manager's pid." "millis" "How long until it was ready."}}
                            "prefork/reload" {:doc "Graceful reload: a new generation of workers from the code on disk replaces the old one."
                                              :returns {"reloading" "\"true\""}}
                            "prefork/eval-in-workers" {:doc (str "Evaluates code in every live worker (not in the manager), whatever it is: "
                                                                 "the explicit broadcast, for what the mirroring rule leaves in the manager. "
                                                                 "The rule: " mirroring-rule)
                                                       :requires {"code" "The code, a string."}
                                                       :optional {"ns" "The namespace (default: the session's)."
                                                                  "record" "\"true\": also record it, so that later workers replay it (prefork.server/redefine!)."
                                                                  "timeout-seconds" "How long to wait for the workers (default 10)."}
                                                       :returns {"prefork/results" "One map per worker: pid, status (ok, error, timeout), value, and for an error root-class, root-message, ex-data, line, column when known."
                                                                 "out" "A summary: prefork: applied in N of M workers, then each failure."}}}})

(defn- log-fn
  "A fn of one line writing to `log` (a prefork.Log), or to stderr when there is none."
  [log]
  (if log
    (fn [line] (.log ^prefork.Log log line))
    (fn [line] (.println System/err ^String line))))

(defn start!
  "Starts an nREPL server for the prefork `server` (a prefork.PreforkServer) with options
  {:port 0 :bind \"127.0.0.1\"} or {:socket path}, plus :log (a prefork.Log for refusals, default stderr),
  :allow-remote? (accept peers on other hosts, default false) and :limits (message bounds, default
  prefork.nrepl-bencode/default-limits). Only processes of this user (and root) may connect: others are refused
  before a byte is read (prefork.nrepl-guard). A Unix socket is placed with mode 0600 and no window. Returns
  the nREPL server (closeable; its :port is the bound port). Called by the Java core
  (prefork.manager.ControlPlane) before workers spawn."
  [server {:keys [port bind socket log allow-remote? limits]}]
  (require (quote prefork.repl))
  (let [log (log-fn log)
        handler (nrepl-server/default-handler #'wrap-prefork)
        with-server (fn [msg] (handler (assoc msg ::server server)))
        transport (guard/owner-only (bencode/bounded-transport-fn limits log) {:log log :allow-remote? allow-remote?})]
    (if socket
      (guard/place-socket! socket #(nrepl-server/start-server :socket % :handler with-server :transport-fn transport))
      (nrepl-server/start-server :port (or port 0) :bind (or bind "127.0.0.1") :handler with-server
                                 :transport-fn transport))))
