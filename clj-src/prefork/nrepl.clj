(ns prefork.nrepl
  "The control plane: an nREPL server in the manager JVM. Its middleware binds prefork.server/*server* in
  every session, so (prefork.server/workers) needs no argument; mirrors evaluations (eval, load-file) in a
  watched namespace into every live worker and reports each worker's result; and exposes the controls as
  nREPL ops (prefork/status, prefork/workers, prefork/stats, prefork/resize, prefork/reload, prefork/stop,
  prefork/eval) for any nREPL client, `prefork ctl` among them: the ops, their parameters and answers are
  documented, with the client's end, in java-src/prefork/ctl/CtlProtocol.java."
  (:require [clojure.string :as str]
            [nrepl.middleware :refer [set-descriptor!]]
            [nrepl.misc :refer [response-for]]
            [nrepl.server :as nrepl-server]
            [nrepl.transport :as t]
            [prefork.server :as ps])
  (:import (java.io StringWriter)
           (java.nio.file Files Path)
           (java.nio.file.attribute PosixFilePermissions)
           (prefork InvalidOptionException Option$Surface PreforkServer)
           (prefork.manager StatusTable)))

(set! *warn-on-reflection* true)

(defn- effective-ns
  "The namespace an eval or load-file message runs in: its :ns, the file's ns form, or the session's *ns*."
  [{:keys [op ns file session]}]
  (or (when (= op "load-file")
        (try (let [form (read-string file)]
               (when (and (seq? form) (= 'ns (first form))) (str (second form))))
             (catch Exception _ nil)))
      ns
      (some-> session deref (get #'*ns*) ns-name str)))

(defn- done? [response]
  (some #{"done"} (map name (:status response))))

(defn- failed? [response]
  (or (:ex response) (some #{"eval-error"} (map name (:status response)))))

(defn- summary [results]
  (let [by-status (group-by (comp :status val) results)]
    (str "prefork: applied in " (count (:ok by-status)) " of " (count results) " workers"
         (apply str (for [[pid {:keys [status value]}] results
                          :when (not= status :ok)]
                      (str "\nprefork: worker " pid " " (name status) ": " value)))
         "\n")))

(defn- mirroring-transport
  "Passes every response through; when the evaluation is done without an error, sends `code` to the workers
  first and reports their results (:prefork/results, and a summary on :out)."
  [transport msg server ns-name code]
  (let [failed (atom false)]
    (reify t/Transport
      (recv [_] (t/recv transport))
      (recv [_ timeout] (t/recv transport timeout))
      (send [this response]
        (when (failed? response) (reset! failed true))
        (when (and (done? response) (not @failed))
          (let [results (ps/redefine! server code {:ns ns-name})]
            (t/send transport (response-for msg {:out (summary results)}))
            (t/send transport (response-for msg {:prefork/results
                                                 (vec (for [[pid {:keys [status value]}] results]
                                                        {"pid" pid "status" (name status) "value" value}))}))))
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

(defn- formatted [msg k data text-fn]
  (case (:format msg)
    "json" {:json (json data)}
    "text" {:text (text-fn data)}
    {k (if (map? data) (wire data) (mapv wire data))}))

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

(defn- control-op [{:keys [op transport] :as msg} ^PreforkServer server]
  (try
    (let [answer (case op
                   "prefork/status" {:status-table (.statusTable server)}
                   "prefork/workers" (formatted msg :workers (ps/workers server)
                                                (fn [_] (StatusTable/rows (.workers server) (> (count (.listeners server)) 1))))
                   "prefork/stats" (formatted msg :stats (ps/stats server) lines)
                   "prefork/resize" {:bounds (wire (ps/resize! server (bounds-params msg)))}
                   "prefork/reload" (do (ps/reload! server) {:reloading "true"})
                   "prefork/stop" {:stopping (if (= "true" (str (:now msg))) "now" "graceful")}
                   "prefork/eval" (eval-op msg server)
                   (throw (ex-info (str "unknown prefork op " op) {})))
          status (:status answer)]
      (t/send transport (response-for msg (dissoc answer :status)))
      (t/send transport (response-for msg {:status (conj (or status #{}) :done)}))
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
        (and (#{"eval" "load-file"} op)
             (contains? (.watchedNamespaces ^PreforkServer server) (effective-ns msg)))
        (h (assoc msg :transport (mirroring-transport (:transport msg) msg server (effective-ns msg)
                                                      (if (= op "eval") (:code msg) (:file msg)))))
        :else (h msg)))))

(set-descriptor! #'wrap-prefork
                 {:requires #{"clone"}
                  :expects #{"eval" "load-file"}
                  :handles {"prefork/status" {:doc "The status table: one row per worker, then the pool bounds and totals."
                                              :returns {"status-table" "Text."}}
                            "prefork/workers" {:doc "Lists the live workers: slot, pid, state, requests, started-at, last-active, generation, listener, busy-ms, client, rss-bytes, pss-bytes, cpu-seconds, previous-exit."
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
                            "prefork/reload" {:doc "Graceful reload: a new generation of workers from the code on disk replaces the old one."
                                              :returns {"reloading" "\"true\""}}}})

(defn- restrict-socket-file [path]
  (Files/setPosixFilePermissions (Path/of (str path) (make-array String 0))
                                 (PosixFilePermissions/fromString "rw-------")))

(defn start!
  "Starts an nREPL server for the prefork `server` (a prefork.PreforkServer) with options
  {:port 0 :bind \"127.0.0.1\"} or {:socket path} (mode 0600). Returns the nREPL server (closeable; its
  :port is the bound port). Called by the Java core (prefork.manager.ControlPlane) before workers spawn."
  [server {:keys [port bind socket]}]
  (require (quote prefork.repl))
  (let [handler (nrepl-server/default-handler #'wrap-prefork)
        with-server (fn [msg] (handler (assoc msg ::server server)))
        nrepl (if socket
                (nrepl-server/start-server :socket (str socket) :handler with-server)
                (nrepl-server/start-server :port (or port 0) :bind (or bind "127.0.0.1") :handler with-server))]
    (when socket (restrict-socket-file socket))
    nrepl))
