(ns prefork.server
  "The Clojure API over prefork's Java core: start a server whose worker JVMs call a Clojure handler, and
  control it while it runs. Handlers and hooks cross into the workers by name (a var or a fully-qualified
  symbol), never as function values. Every control function takes the server as its first argument, or uses
  `*server*`, which the nREPL control plane binds to the server that started it."
  (:require [clojure.string :as str]
            [prefork.worker])
  (:import (java.net InetAddress)
           (java.time Duration)
           (prefork ClojureChild EvalResult Log PoolBounds PreforkServer ServerBuilder ServerStats WorkerInfo)))

(def ^:dynamic *server*
  "The server control functions act on when none is passed; bound in the nREPL sessions of a server's
  control plane. Default nil."
  nil)

(declare stop-server)

(defn- close-nrepl [{:keys [nrepl nrepl-socket]}]
  (when nrepl (.close ^java.io.Closeable nrepl))
  (when nrepl-socket
    (java.nio.file.Files/deleteIfExists (java.nio.file.Path/of nrepl-socket (make-array String 0)))))

(defrecord Server [^PreforkServer java nrepl watched]
  java.io.Closeable
  (close [this] (stop-server this)))

(defn- bad-option [k v why]
  (throw (ex-info (str "option " k " " (pr-str v) " " why) {:key k :value v})))

(defn- seconds->duration [k v]
  (when-not (and (number? v) (not (neg? v)))
    (bad-option k v "must be a number of seconds, zero or more"))
  (Duration/ofMillis (long (* 1000 v))))

(defn- int-option [k v]
  (when-not (int? v) (bad-option k v "must be an integer"))
  v)

(def ^:private builder-options
  "Option key -> function applying its value to a ServerBuilder (one builder call per option)."
  {:port                (fn [^ServerBuilder b v] (.port b (int (int-option :port v))))
   :bind                (fn [^ServerBuilder b v] (.bindIp b (str v)))
   :min-servers         (fn [^ServerBuilder b v] (.minServers b (int (int-option :min-servers v))))
   :max-servers         (fn [^ServerBuilder b v] (.maxServers b (int (int-option :max-servers v))))
   :min-spare-servers   (fn [^ServerBuilder b v] (.minSpareServers b (int (int-option :min-spare-servers v))))
   :max-spare-servers   (fn [^ServerBuilder b v] (.maxSpareServers b (int (int-option :max-spare-servers v))))
   :max-requests        (fn [^ServerBuilder b v] (.maxRequests b (long (int-option :max-requests v))))
   :max-requests-jitter (fn [^ServerBuilder b v] (.maxRequestsJitter b (long (int-option :max-requests-jitter v))))
   :listen              (fn [^ServerBuilder b v] (.listen b (int (int-option :listen v))))
   :protocol            (fn [^ServerBuilder b v] (.protocol b (name v)))
   :reuse-port          (fn [^ServerBuilder b v] (.reusePort b (boolean v)))
   :unix-path           (fn [^ServerBuilder b v] (.unixPath b (str v)))
   :unix-mode           (fn [^ServerBuilder b v] (.unixMode b (str v)))
   :listeners           (fn [^ServerBuilder b v]
                          (when-not (and (sequential? v) (every? string? v))
                            (bad-option :listeners v "must be a sequence of strings like \"udp://127.0.0.1:7000\""))
                          (doseq [spec v] (.addListener b spec)))
   :timeout             (fn [^ServerBuilder b v] (.timeout b (seconds->duration :timeout v)))
   :graceful-timeout    (fn [^ServerBuilder b v] (.gracefulTimeout b (seconds->duration :graceful-timeout v)))
   :start-timeout       (fn [^ServerBuilder b v] (.startTimeout b (seconds->duration :start-timeout v)))
   :worker-jvm-opts     (fn [^ServerBuilder b v]
                          (when-not (and (sequential? v) (every? string? v))
                            (bad-option :worker-jvm-opts v "must be a sequence of strings"))
                          (.workerJvmOptions b ^java.util.List (vec v)))
   :child-properties    (fn [^ServerBuilder b v]
                          (when-not (map? v) (bad-option :child-properties v "must be a map"))
                          (doseq [[pk pv] v] (.childProperty b (name pk) (str pv))))
   :log                 (fn [^ServerBuilder b v]
                          (cond (instance? Log v) (.log b ^Log v)
                                (ifn? v) (.log b (reify Log (log [_ line] (v line))))
                                :else (bad-option :log v "must be a function of one string, or a prefork.Log")))
   :handle-signals      (fn [^ServerBuilder b v] (.handleSignals b (boolean v)))})

(def ^:private hook-options
  "Child hooks, each a var or fully-qualified symbol, called in the workers: init (no arguments), allow?,
  on-deny, post-accept, post-process (the request map), on-shutdown (the error string or nil)."
  #{:init :allow? :on-deny :post-accept :post-process :on-shutdown})

(def ^:private other-options #{:nrepl :watch})

(def ^:private java-option->key
  {"port" :port "bindIp" :bind "minServers" :min-servers "maxServers" :max-servers
   "minSpareServers" :min-spare-servers "maxSpareServers" :max-spare-servers "maxRequests" :max-requests
   "maxRequestsJitter" :max-requests-jitter "listen" :listen "protocol" :protocol "reusePort" :reuse-port
   "unixPath" :unix-path "unixMode" :unix-mode "listener" :listeners
   "timeout" :timeout "gracefulTimeout" :graceful-timeout "startTimeout" :start-timeout})

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

(defn- check-nrepl [nrepl]
  (when nrepl
    (when-not (map? nrepl) (bad-option :nrepl nrepl "must be a map like {:port 0 :bind \"127.0.0.1\"} or {:socket path}"))
    (when-let [extra (seq (remove #{:port :bind :socket :allow-remote?} (keys nrepl)))]
      (bad-option :nrepl nrepl (str "has unknown keys " (vec extra))))
    (when-let [port (:port nrepl)]
      (when-not (and (int? port) (<= 0 port 65535))
        (bad-option :nrepl nrepl (str "has :port " (pr-str port) ", which is not an integer from 0 to 65535"))))
    (when (and (:socket nrepl) (or (:port nrepl) (:bind nrepl)))
      (bad-option :nrepl nrepl "has both :socket and :port/:bind"))
    (let [bind (:bind nrepl "127.0.0.1")]
      (when (and (not (:socket nrepl))
                 (not (:allow-remote? nrepl))
                 (not (.isLoopbackAddress (InetAddress/getByName (str bind)))))
        (bad-option :nrepl nrepl (str "binds nREPL (remote code execution) to " bind
                                      ", which is not loopback; add :allow-remote? true to do it anyway"))))))

(defn- check-watch
  "The :watch namespaces as strings, each loaded here (the manager evaluates mirrored code first)."
  [watch]
  (when-not (and (sequential? watch) (every? #(or (symbol? %) (string? %)) watch))
    (bad-option :watch watch "must be a sequence of namespace symbols"))
  (doseq [ns-name watch]
    (try (require (symbol (str ns-name)))
         (catch Exception e (bad-option :watch watch (str "names " ns-name ", which cannot be loaded: " (ex-message e))))))
  (mapv str watch))

(defn- builder
  "A ServerBuilder for `opts` and `handler`; throws ex-info naming the first bad key and value."
  ^ServerBuilder [opts handler]
  (when-not (map? opts) (throw (ex-info "opts must be a map" {:value opts})))
  (doseq [[k v] opts
          :when (not (or (builder-options k) (hook-options k) (other-options k)))]
    (bad-option k v (str "is unknown; known options: "
                         (str/join " " (sort (concat (keys builder-options) hook-options other-options))))))
  (check-nrepl (:nrepl opts))
  (let [b (-> (PreforkServer/builder ClojureChild)
              (.childProperty "handler" (str (var-name :handler handler))))]
    (doseq [[k v] opts]
      (cond (builder-options k) ((builder-options k) b v)
            (hook-options k) (.childProperty b (name k) (str (var-name k v)))))
    (when-let [watch (seq (check-watch (:watch opts [])))]
      (.childProperty b "watch" (str/join "," watch)))
    b))

(defn- rethrow-invalid [^IllegalArgumentException e]
  (let [message (ex-message e)
        java-name (re-find #"^[A-Za-z]+" (or message ""))
        k (java-option->key java-name)]
    (throw (ex-info (str (when k (str "option " k ": ")) message) {:key k} e))))

(defn start-server
  "Starts a prefork server whose workers call `handler` (a var, e.g. #'my.app/handle, or a fully-qualified
  symbol) for every connection, with one map: :in :out :socket :remote-addr :remote-port :local-port
  :protocol :requests-handled (UDP: :payload and :reply, a fn of a byte array, instead of the streams;
  Unix sockets: no :socket, no address).
  The connection is closed when the handler returns. Returns the running server (java.io.Closeable, for
  with-open) once :min-servers workers are ready; does not block. Options, with defaults:
    :port 10000 (0 = any free port)   :bind \"127.0.0.1\"   :protocol :tcp (or :udp, :unix)   :listen 1024
    :unix-path nil (for :unix)  :unix-mode nil (e.g. \"660\")
    :listeners []  more listeners, each with a pool of its own: \"udp://127.0.0.1:7000\" \"unix:/run/app.sock\"
    :min-servers 5  :max-servers 20  :min-spare-servers 2  :max-spare-servers 10
    :max-requests 0 (unlimited)  :max-requests-jitter 0  :reuse-port false (tcp only)
    :timeout 30 (seconds a request may take, 0 = no limit)  :graceful-timeout 30  :start-timeout 60
    :worker-jvm-opts (see ServerBuilder/DEFAULT_WORKER_JVM_OPTIONS)  :child-properties {}
    :log (fn [line]) or a prefork.Log, e.g. (prefork.Log/file path) (default: stderr)  :handle-signals false
    :init :allow? :on-deny :post-accept :post-process :on-shutdown  child hooks (vars or symbols), nil
    :watch []  more namespaces whose nREPL evaluations are mirrored into the workers (the handler's always is)
    :nrepl nil  {:port 0 :bind \"127.0.0.1\"} or {:socket \"/path\"} starts the nREPL control plane in this
           JVM; a non-loopback :bind also needs :allow-remote? true.
  Unknown keys and bad values throw ex-info naming the key and value, before anything starts."
  [opts handler]
  (let [b (builder opts handler)
        ^PreforkServer java (try (.start b) (catch IllegalArgumentException e (rethrow-invalid e)))
        watched (atom (into #{(namespace (var-name :handler handler))} (map str (:watch opts))))
        server (->Server java nil watched)]
    (if-let [nrepl-opts (:nrepl opts)]
      (try
        (assoc server :nrepl ((requiring-resolve 'prefork.nrepl/start!) server nrepl-opts)
                      :nrepl-socket (some-> (:socket nrepl-opts) str))
        (catch Throwable t
          (.close java)
          (throw t)))
      server)))

(defn- the-server ^Server [server]
  (or server *server*
      (throw (ex-info "no server given, and *server* is not bound (it is in an nREPL session of a server's control plane)" {}))))

(defn- java-server ^PreforkServer [server]
  (:java (the-server server)))

(defn stop-server
  "Stops the server gracefully: workers finish their current connection within `timeout-seconds` (default:
  the :graceful-timeout option), then are killed; then stops its nREPL server. Waits; returns nil. Idempotent."
  ([] (stop-server nil))
  ([server]
   (let [s (the-server server)]
     (.close ^PreforkServer (:java s))
     (close-nrepl s)
     nil))
  ([server timeout-seconds]
   (let [s (the-server server)
         java ^PreforkServer (:java s)]
     (.shutdown java (seconds->duration :timeout-seconds timeout-seconds))
     (.awaitTermination java (.plusSeconds ^Duration (seconds->duration :timeout-seconds timeout-seconds) 10))
     (.close java)
     (close-nrepl s)
     nil)))

(defn server-port
  "The port the server is bound to."
  ([] (server-port nil))
  ([server] (.port (java-server server))))

(defn nrepl-port
  "The port of the server's nREPL control plane, or nil when it has none (or it listens on a Unix socket)."
  ([] (nrepl-port nil))
  ([server] (:port (:nrepl (the-server server)))))

(defn- worker-map [^WorkerInfo w]
  {:slot (.slot w) :pid (.pid w) :state (keyword (str/lower-case (str (.state w))))
   :requests (.requests w) :started-at (.startedAt w) :last-active (.lastActive w)
   :generation (.generation w) :listener (.listener w)})

(defn workers
  "One map per live worker, by listener then slot: :slot :pid :state (:starting :idle :busy :stopping)
  :requests :started-at :last-active (java.time.Instant) :generation :listener (\"tcp://127.0.0.1:7000\")."
  ([] (workers nil))
  ([server] (mapv worker-map (.workers (java-server server)))))

(defn stats
  "Counters: :served (requests, all workers ever), :spawned, :exits (cause -> count), :busy :idle :starting
  (now), :generation, and the pool bounds :min-servers :max-servers :min-spare-servers :max-spare-servers."
  ([] (stats nil))
  ([server]
   (let [java (java-server server)
         ^ServerStats s (.stats java)
         ^PoolBounds b (.bounds java)]
     {:served (.served s) :spawned (.spawned s)
      :exits (into {} (map (fn [[k v]] [(keyword k) v])) (.exits s))
      :busy (.busy s) :idle (.idle s) :starting (.starting s) :generation (.generation s)
      :min-servers (.minServers b) :max-servers (.maxServers b)
      :min-spare-servers (.minSpareServers b) :max-spare-servers (.maxSpareServers b)})))

(defn resize!
  "Changes the pool bounds live; `bounds` has any of :min-servers :max-servers :min-spare-servers
  :max-spare-servers (the others are kept). Takes effect within one supervisor tick (50 ms). Returns the
  new bounds; throws ex-info on inconsistent bounds, changing nothing."
  ([bounds] (resize! nil bounds))
  ([server bounds]
   (let [java (java-server server)
         ^PoolBounds b (.bounds java)
         {:keys [min-servers max-servers min-spare-servers max-spare-servers]
          :or {min-servers (.minServers b) max-servers (.maxServers b)
               min-spare-servers (.minSpareServers b) max-spare-servers (.maxSpareServers b)}} bounds
         new-bounds (try (PoolBounds. (int min-servers) (int max-servers) (int min-spare-servers) (int max-spare-servers))
                         (catch IllegalArgumentException e (rethrow-invalid e)))]
     (.resize java new-bounds)
     {:min-servers min-servers :max-servers max-servers
      :min-spare-servers min-spare-servers :max-spare-servers max-spare-servers})))

(defn reload!
  "HUP-style graceful reload: a new generation of workers starts clean from the code on disk (code changes
  made through the control plane are forgotten); once enough are ready the old ones stop, each after its
  current connection. Returns at once."
  ([] (reload! nil))
  ([server] (.reload (java-server server)) nil))

(defn- results-map [results]
  (into (sorted-map)
        (map (fn [[pid ^EvalResult r]] [pid {:status (keyword (.status r)) :value (.text r)}]))
        results))

(defn eval-in-workers
  "Evaluates `form` (a form, or a string of code) in every live worker, in namespace `ns` (default: the
  current *ns*), between requests. Returns {pid {:status :ok|:error|:timeout :value printed-result}}.
  Not replayed in workers started later (see `redefine!`)."
  ([form] (eval-in-workers nil form))
  ([server form] (eval-in-workers server form {}))
  ([server form {:keys [ns timeout-seconds] :or {timeout-seconds 10}}]
   (results-map (.evalInWorkers (java-server server) (str (or ns (ns-name *ns*)))
                                (if (string? form) form (pr-str form))
                                (seconds->duration :timeout-seconds timeout-seconds)))))

(defn redefine!
  "Evaluates `code` (a string) in namespace `ns` in every live worker and records it, so workers started
  later evaluate it too, in order, until `reload!`. Returns the per-worker results as `eval-in-workers`."
  ([ns code] (redefine! nil ns code))
  ([server ns code]
   (results-map (.redefine (java-server server) (str ns) code (Duration/ofSeconds 10)))))

(defn watch-ns!
  "Adds namespace `ns` (a symbol) to those whose nREPL evaluations are mirrored into the workers. Returns the
  set of watched namespace names."
  ([ns] (watch-ns! nil ns))
  ([server ns] (swap! (:watched (the-server server)) conj (str ns))))
