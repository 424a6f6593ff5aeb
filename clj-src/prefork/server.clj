(ns prefork.server
  "The Clojure API over prefork's Java core: start a server whose worker JVMs call a Clojure handler, and
  control it while it runs. Handlers and hooks cross into the workers by name (a var or a fully-qualified
  symbol), never as function values. Every control function takes the server (a prefork.PreforkServer, as
  `start-server` returns it) as its first argument; prefork.repl has the same functions without it, for the
  REPL of a server's control plane."
  (:require [clojure.string :as str]
            [prefork.worker])
  (:import (java.time Duration)
           (prefork EvalResult InvalidOptionException Log Option Option$Surface Options PoolBounds PreforkServer
                    ServerBuilder ServerStats WorkerInfo)
           (prefork.clojure ClojureChild)))

(set! *warn-on-reflection* true)

(def ^:dynamic *server*
  "The server prefork.repl's functions act on; bound in the nREPL sessions of a server's control plane.
  Default nil."
  nil)

(def ^:private hook-options
  "Child hooks, each a var or fully-qualified symbol, called in the workers: init (no arguments), allow?,
  on-deny, post-accept, post-process (the request map), on-shutdown (the error string or nil)."
  (set (map keyword (remove #{"handler"} prefork.worker/hook-keys))))

(def ^:private clojure-only-options #{:log})

(defn- catalogue-keys []
  (into #{} (map #(keyword (.kebab ^Option %))) (Options/all)))

(defn- bad-option [k v why]
  (throw (ex-info (str "option " k " " (pr-str v) " " why) {:kind ::invalid-option :key k :value v})))

(defn- invalid
  "Rethrows a Java refusal as ex-info, in Clojure's vocabulary, with :key and :value from the exception."
  [^InvalidOptionException e]
  (let [option (.option e)]
    (throw (ex-info (.messageFor e Option$Surface/CLOJURE)
                    {:kind ::invalid-option
                     :key (some-> option (.kebab) keyword)
                     :value (.value e)}
                    e))))

(defn- java-value
  "A Clojure option value as the catalogue takes it: keywords and symbols become their names."
  [v]
  (cond (keyword? v) (name v)
        (symbol? v) (str v)
        (map? v) (into {} (map (fn [[k x]] [(name k) (java-value x)])) v)
        (sequential? v) (mapv java-value v)
        (set? v) (mapv java-value v)
        :else v))

(defn- var-name
  "The fully-qualified symbol naming `handler` (a var or such a symbol), checked to resolve here too."
  [k handler]
  (let [sym (cond (var? handler) (symbol handler)
                  (qualified-symbol? handler) handler
                  (fn? handler) (bad-option k handler
                                  (str "is a function value: handlers run in separate worker JVMs, which find "
                                       "code by name; pass a var (#'my.app/handle) or a symbol ('my.app/handle)"))
                  :else (bad-option k handler "must be a var or a fully-qualified symbol"))]
    (when-not (try (requiring-resolve sym)
                   (catch Exception e (bad-option k handler (str "cannot be loaded: " (ex-message e)))))
      (bad-option k handler "does not name a var"))
    sym))

(defn- check-watch
  "Loads each :watch namespace here (the manager evaluates mirrored code first)."
  [watch]
  (doseq [ns-name (if (sequential? watch) watch [watch])]
    (try (require (symbol (str ns-name)))
         (catch Exception e (bad-option :watch watch (str "names " ns-name ", which cannot be loaded: " (ex-message e)))))))

(defn- apply-option [^ServerBuilder b k v]
  (cond (hook-options k) (.childProperty b (name k) (str (var-name k v)))
        (= k :log) (cond (instance? Log v) (.log b ^Log v)
                         (ifn? v) (.log b (reify Log (log [_ line] (v line))))
                         :else (bad-option :log v "must be a function of one string, or a prefork.Log"))
        :else (.set b ^String (name k) ^Object (java-value v))))

(defn- builder
  "A ServerBuilder for `opts` and `handler`; throws ex-info naming the first bad key and value."
  ^ServerBuilder [opts handler]
  (when-not (map? opts) (throw (ex-info "opts must be a map" {:kind ::invalid-option :value opts})))
  (let [known (into (catalogue-keys) (concat hook-options clojure-only-options))]
    (doseq [[k v] opts :when (not (known k))]
      (bad-option k v (str "is unknown; known options: " (str/join " " (sort known))))))
  (let [b (-> (PreforkServer/builder ClojureChild)
              (.childProperty "handler" (str (var-name :handler handler))))]
    (try
      (doseq [[k v] opts] (apply-option b k v))
      (when-let [watch (:watch opts)] (check-watch watch))
      (.validate b)
      b
      (catch InvalidOptionException e (invalid e)))))

(defn- options-table []
  (str/join "\n" (for [^Option o (Options/all)]
                   (format "    %-22s %s (default %s)" (.keyword o) (.help o) (.defaultText o)))))

(defn start-server
  "Placeholder: the docstring is set below, from the option catalogue."
  ^PreforkServer [opts handler]
  (let [b (builder opts handler)]
    (try (.start b)
         (catch InvalidOptionException e (invalid e)))))

(alter-meta! #'start-server assoc :doc
  (str "Starts a prefork server whose workers call `handler` (a var, e.g. #'my.app/handle, or a fully-qualified
  symbol) for every connection, with one map: :in :out :socket :remote-addr :remote-port :local-port
  :protocol :requests-handled (UDP: :payload and :reply, a fn of a byte array, instead of the streams;
  Unix sockets: no :socket, no address; TLS: plaintext streams and :peer-certificates, the client's
  certificate chain, empty when it sent none). The connection is closed when the handler returns.
  Returns the running prefork.PreforkServer (closeable, for with-open) once :min-servers workers are ready;
  does not block. Options (seconds as numbers, protocols as keywords, lists as vectors), with defaults:
" (options-table) "
  and, for Clojure only:
    :init :allow? :on-deny :post-accept :post-process :on-shutdown  child hooks (vars or symbols), none
    :log                    a fn of one string, or a prefork.Log (default: stderr)
  Unknown keys and bad values throw ex-info {:kind :prefork.server/invalid-option :key k :value v}, before
  anything starts."))

(defn- ^PreforkServer java-server [server]
  (if (instance? PreforkServer server)
    server
    (throw (ex-info (str "not a prefork server: " (pr-str server) "; pass what start-server returned")
                    {:kind ::invalid-argument :value server}))))

(defn- seconds ^Duration [k v]
  (when-not (and (number? v) (<= 0 v 315360000))
    (throw (ex-info (str k " " (pr-str v) " must be a number of seconds, zero or more")
                    {:kind ::invalid-argument :key k :value v})))
  (Duration/ofMillis (long (* 1000 v))))

(defn stop-server
  "Stops `server` gracefully: workers finish their current connection within `timeout-seconds` (default:
  its :graceful-timeout), then are killed, then the control plane stops. Waits; returns nil. Idempotent."
  ([server] (.close (java-server server)) nil)
  ([server timeout-seconds]
   (let [java (java-server server)
         ^Duration grace (seconds :timeout-seconds timeout-seconds)]
     (.shutdown java grace)
     (.awaitTermination java (.plusSeconds grace 10))
     (.close java)
     nil)))

(defn server-port
  "The port of the server's first listener (0 for a Unix socket)."
  [server]
  (.port (java-server server)))

(defn nrepl-port
  "The port of the server's nREPL control plane, or nil when it has none (or it listens on a Unix socket)."
  [server]
  (let [port (.controlPlanePort (java-server server))]
    (when (>= port 0) port)))

(defn- client-text [^WorkerInfo w]
  (when-let [client (.client w)]
    (let [host (.getHostAddress (.getAddress client))]
      (str (if (str/includes? host ":") (str "[" host "]") host) ":" (.getPort client)))))

(defn- worker-map [^WorkerInfo w]
  (cond-> {:slot (.slot w) :pid (.pid w) :state (keyword (str/lower-case (str (.state w))))
           :requests (.requests w) :started-at (str (.startedAt w)) :last-active (str (.lastActive w))
           :generation (.generation w) :listener (.listener w)
           :busy-ms (some-> (.busyFor w) (.toMillis))
           :client (client-text w)
           :rss-bytes (when (>= (.rssBytes w) 0) (.rssBytes w))
           :pss-bytes (when (>= (.pssBytes w) 0) (.pssBytes w))
           :cpu-seconds (some-> (.cpuTime w) (.toNanos) (/ 1e9))
           :previous-exit (some-> (.previousExit w) str keyword)}
    (.stale w) (assoc :stale (.stale w))))

(defn workers
  "One map of plain data per live worker, by listener then slot: :slot :pid :state (:starting :idle :busy
  :stopping) :requests :started-at :last-active (ISO-8601 strings) :generation :listener
  (\"tcp://127.0.0.1:7000\") :busy-ms (nil unless busy) :client (\"127.0.0.1:51234\" or \"[::1]:51234\", nil
  unless busy) :rss-bytes :pss-bytes (from /proc/PID/smaps_rollup) :cpu-seconds (user + system, from
  /proc/PID/stat) :previous-exit (why the slot's previous worker exited, e.g. :recycled; nil for none), and
  :stale on a worker that does not run the recorded code (why: it could not apply a redefinition the other
  workers applied); such a worker is :stopping, and its replacement starts with the recorded code."
  [server]
  (mapv worker-map (.workers (java-server server))))

(defn status
  "Prints the operator's status table of `server` (what `prefork ctl status` prints): one row per worker,
  then the pool bounds and totals. Returns nil."
  [server]
  (print (.statusTable (java-server server)))
  (flush))

(defn stats
  "Counters: :served (requests, all workers ever), :spawned, :exits (cause keyword -> count), :busy :idle
  :starting (now), :generation, :peak-workers, and the pool bounds :min-servers :max-servers
  :min-spare-servers :max-spare-servers."
  [server]
  (let [java (java-server server)
        ^ServerStats s (.stats java)
        ^PoolBounds b (.bounds java)]
    {:served (.served s) :spawned (.spawned s)
     :exits (into {} (map (fn [[k v]] [(keyword (str k)) v])) (.exits s))
     :busy (.busy s) :idle (.idle s) :starting (.starting s) :generation (.generation s)
     :peak-workers (.peakWorkers s)
     :min-servers (.minServers b) :max-servers (.maxServers b)
     :min-spare-servers (.minSpareServers b) :max-spare-servers (.maxSpareServers b)}))

(def ^:private bound-keys [:min-servers :max-servers :min-spare-servers :max-spare-servers])

(defn resize!
  "Changes the pool bounds live; `bounds` has any of :min-servers :max-servers :min-spare-servers
  :max-spare-servers (the others are kept). Takes effect within one supervisor tick (50 ms). Returns the
  new bounds; throws ex-info naming the key and value on inconsistent bounds, changing nothing."
  [server bounds]
  (let [java (java-server server)
        ^PoolBounds b (.bounds java)]
    (when-not (map? bounds)
      (throw (ex-info (str "bounds " (pr-str bounds) " must be a map of " bound-keys) {:kind ::invalid-argument :value bounds})))
    (when-let [extra (seq (remove (set bound-keys) (keys bounds)))]
      (bad-option (first extra) (get bounds (first extra)) (str "is not a pool bound; use " bound-keys)))
    (let [merged (merge {:min-servers (.minServers b) :max-servers (.maxServers b)
                         :min-spare-servers (.minSpareServers b) :max-spare-servers (.maxSpareServers b)}
                        bounds)
          number (fn [k] (let [v (merged k)] (if (int? v) (int v) (bad-option k v "is not a whole number"))))
          new-bounds (try (PoolBounds. (number :min-servers) (number :max-servers)
                                       (number :min-spare-servers) (number :max-spare-servers))
                          (catch InvalidOptionException e (invalid e)))]
      (.resize java new-bounds)
      merged)))

(defn reload!
  "HUP-style graceful reload: a new generation of workers starts clean from the code on disk (code changes
  made through the control plane are forgotten); once enough are ready the old ones stop, each after its
  current connection. Returns nil at once."
  [server]
  (.reload (java-server server))
  nil)

(defn upgrade!
  "Zero-downtime upgrade of the manager: a new manager process (this one's command line, or `:jar` path as
  what it runs) inherits the listening sockets, the control plane's and metrics' ports and the pid file; once
  it is ready (within :start-timeout) this server stops gracefully. Returns {:pid new-manager-pid :millis n}
  when the new manager is ready; throws (ex-info with :kind ::upgrade-failed and the reason) when it failed,
  and this server carries on. `on-ready` (a fn of that map, optional) runs before this server starts stopping."
  ([server] (upgrade! server {}))
  ([server {:keys [jar on-ready]}]
   (let [done (fn [^prefork.UpgradeResult r] {:pid (.pid r) :millis (.toMillis (.took r))})
         result (try (.upgrade (java-server server) (some-> jar str (java.nio.file.Path/of (make-array String 0)))
                               (reify java.util.function.Consumer
                                 (accept [_ r] (when on-ready (on-ready (done r))))))
                     (catch java.io.IOException e
                       (throw (ex-info (ex-message e) {:kind ::upgrade-failed} e))))]
     (done result))))

(defn- result-map
  "One worker's result: :status and :value, and for an error its details (:root-class :root-message :ex-data
  :line :column, each when known)."
  [^EvalResult r]
  (into {:status (keyword (.text (.status r))) :value (.text r)}
        (map (fn [[k v]] [(keyword k) (if (#{"line" "column"} k) (or (parse-long v) v) v)]))
        (.details r)))

(defn- results-map [results]
  (into (sorted-map) (map (fn [[pid r]] [pid (result-map r)])) results))

(defn- code-text [form]
  (cond (string? form) form
        :else (binding [*print-meta* false] (pr-str form))))

(defn- send-code [server form {:keys [ns timeout-seconds] :or {timeout-seconds 10} :as opts} record?]
  (when-not (map? opts)
    (throw (ex-info (str "opts " (pr-str opts) " must be a map of :ns :timeout-seconds") {:kind ::invalid-argument :value opts})))
  (let [java (java-server server)
        ns-name (str (or ns (ns-name *ns*)))
        timeout (seconds :timeout-seconds timeout-seconds)]
    (results-map (if record?
                   (.redefine java ns-name (code-text form) timeout)
                   (.evalInWorkers java ns-name (code-text form) timeout)))))

(defn eval-in-workers
  "Evaluates `form` (a form, or a string of code) in every live worker of `server`, in namespace :ns
  (default: the current *ns*; a namespace a worker lacks and has no file for is created there), between
  requests, waiting up to :timeout-seconds (default 10). Returns {pid {:status :ok|:error|:timeout :value
  printed-result-or-error}}; an error also has its root cause as :root-class :root-message, and :ex-data
  :line :column when known. Not replayed in workers started later (see `redefine!`)."
  ([server form] (eval-in-workers server form {}))
  ([server form opts] (send-code server form opts false)))

(defn redefine!
  "Like `eval-in-workers`, and recorded: workers started later evaluate it too, in order, before they serve,
  until `reload!`; one that cannot fails its boot. Not recorded when it fails in every worker that answers.
  After a partial failure, each worker that failed is marked :stale in `workers` and replaced. Takes the same
  :ns and :timeout-seconds options; returns the per-worker results."
  ([server form] (redefine! server form {}))
  ([server form opts] (send-code server form opts true)))

(defn watch-ns!
  "Adds namespace `ns` (a symbol) to those whose definitions typed at the nREPL control plane are mirrored
  into the workers of `server`; loads it here first if it is not loaded. Returns the set of watched namespace
  names. Throws ex-info {:kind :prefork.server/invalid-argument :ns ns} when it neither exists nor can be
  loaded."
  [server ns]
  (let [java (java-server server)
        sym (symbol (str ns))]
    (when-not (find-ns sym)
      (try (require sym)
           (catch Exception e
             (throw (ex-info (str "cannot watch namespace " sym ": it does not exist and cannot be loaded: "
                                  (ex-message e))
                             {:kind ::invalid-argument :ns sym})))))
    (.watchNamespace java (str sym))))
