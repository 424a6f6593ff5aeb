(ns prefork.nrepl
  "The control plane: an nREPL server in the manager JVM. Its middleware binds prefork.server/*server* in
  every session, so (prefork.server/workers) needs no argument; mirrors evaluations (eval, load-file) in a
  watched namespace into every live worker and reports each worker's result; and exposes the controls as
  nREPL ops (prefork/workers, prefork/stats, prefork/resize, prefork/reload) for any nREPL client."
  (:require [clojure.string :as str]
            [nrepl.middleware :refer [set-descriptor!]]
            [nrepl.misc :refer [response-for]]
            [nrepl.server :as nrepl-server]
            [nrepl.transport :as t]
            [prefork.nrepl-bencode :as bencode]
            [prefork.nrepl-guard :as guard]
            [prefork.server :as ps])
  (:import (prefork PreforkServer)))

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

(defn- wire [m]
  (into {} (map (fn [[k v]] [(name k) (cond (keyword? v) (name v)
                                            (map? v) (wire v)
                                            (number? v) v
                                            :else (str v))]))
        m))

(defn- control-op [{:keys [op transport] :as msg} server]
  (try
    (t/send transport
            (response-for msg
                          (case op
                            "prefork/workers" {:workers (mapv wire (ps/workers server))}
                            "prefork/stats" {:stats (wire (ps/stats server))}
                            "prefork/resize" {:bounds (wire (ps/resize! server (bounds-params msg)))}
                            "prefork/reload" (do (ps/reload! server) {:reloading "true"}))))
    (t/send transport (response-for msg {:status :done}))
    (catch Exception e
      (t/send transport (response-for msg {:err (str (ex-message e) "\n") :status #{:error :done}})))))

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
                  :handles {"prefork/workers" {:doc "Lists the live workers: slot, pid, state, requests, started-at, last-active, generation."
                                               :returns {"workers" "A list of maps, one per worker."}}
                            "prefork/stats" {:doc "Counters (served, spawned, exits by cause), busy/idle/starting counts and the pool bounds."
                                             :returns {"stats" "A map."}}
                            "prefork/resize" {:doc "Changes the pool bounds live; omitted bounds are kept."
                                              :optional {"min-servers" "integer" "max-servers" "integer"
                                                         "min-spare-servers" "integer" "max-spare-servers" "integer"}
                                              :returns {"bounds" "The bounds now in force."}}
                            "prefork/reload" {:doc "Graceful reload: a new generation of workers from the code on disk replaces the old one."
                                              :returns {"reloading" "\"true\""}}}})

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
