(ns prefork.worker
  "Runs inside each worker JVM, through prefork.ClojureChild: resolves the handler and hooks the manager
  named, builds the request map for each connection or datagram, and evaluates code the manager sends."
  (:require [clojure.string :as str])
  (:import (prefork BaseChild)
           (clojure.lang Compiler Compiler$CompilerException LineNumberingPushbackReader)
           (java.io StringReader)
           (java.net InetSocketAddress Socket)
           (java.nio.channels Channels SocketChannel)
           (javax.net.ssl SSLSocket)))

(set! *warn-on-reflection* true)

(def ^:dynamic *in-worker*
  "True in a worker JVM, false in the manager: code sent to workers can test it."
  false)

(def hook-keys
  "The child properties that name Clojure vars: the handler and the hooks (prefork.server's option keys)."
  ["handler" "init" "allow?" "on-deny" "post-accept" "post-process" "on-shutdown"])

(defn- resolve-var
  "The var named by a fully-qualified symbol string; throws naming it when it cannot be found."
  [property s]
  (or (requiring-resolve (symbol s))
      (throw (ex-info (str property " " s " does not name a var") {:property property :symbol s}))))

(defn preload!
  "For the class data archive's training run: requires the namespaces of the handler, the hooks and
  \"watch\", without running anything. Returns nil."
  [^BaseChild child]
  (doseq [s (concat (keep #(.property child %) hook-keys)
                    (some-> (.property child "watch") (str/split #",")))
          :when (seq s)]
    (require (symbol (or (namespace (symbol s)) s)))))

(defn boot!
  "Resolves the vars named by the child's properties, requires the extra namespaces in \"watch\", runs the
  init hook, and returns a map of hook name (string) to var for prefork.ClojureChild."
  [^BaseChild child]
  (alter-var-root #'*in-worker* (constantly true))
  (doseq [ns-name (some-> (.property child "watch") (str/split #","))
          :when (seq ns-name)]
    (require (symbol ns-name)))
  (let [hooks (into {} (for [k hook-keys
                             :let [s (.property child k)]
                             :when s]
                         [k (resolve-var k s)]))]
    (when-let [init (get hooks "init")]
      (init))
    (dissoc hooks "init")))

(defn request
  "The map a handler receives: :in :out (TCP, TLS and Unix), :socket and :local-port (TCP and TLS),
  :peer-certificates (TLS: the client's X509Certificate chain, a vector, empty when it sent none), :payload and
  :reply (UDP), and always :remote-addr :remote-port (nil for Unix) :protocol :requests-handled. Each map is
  built in one step (a literal of at most 8 entries is one array map), as it is made for every connection
  and every datagram."
  [^BaseChild child]
  (let [^InetSocketAddress remote (.address child)
        remote-addr (when remote (.getHostAddress (.getAddress remote)))
        remote-port (when remote (.getPort remote))
        protocol (.text (.protocol child))
        handled (.requestsHandled child)
        ^Socket socket (.conn child)
        ^SocketChannel channel (.channel child)]
    (cond
      ;; TCP: the socket's streams, whose reads the idle-timeout bounds (SO_TIMEOUT); TLS: plaintext streams
      socket (let [tcp {:remote-addr remote-addr :remote-port remote-port :protocol protocol
                        :requests-handled handled :socket socket :in (.getInputStream socket)
                        :out (.getOutputStream socket) :local-port (.getLocalPort socket)}]
               (if (instance? SSLSocket socket)
                 (assoc tcp :peer-certificates (vec (.peerCertificates child)))
                 tcp))
      ;; Unix: the channel's streams
      channel {:remote-addr remote-addr :remote-port remote-port :protocol protocol :requests-handled handled
               :in (Channels/newInputStream channel) :out (Channels/newOutputStream channel)}
      :else {:remote-addr remote-addr :remote-port remote-port :protocol protocol :requests-handled handled
             :payload (.payload child) :reply (fn [^bytes data] (.respTo child data))})))

(defn- loadable?
  "Whether namespace `sym` has a file, source or compiled, on the class path."
  [sym]
  (let [base (-> (name sym) (str/replace "-" "_") (str/replace "." "/"))
        loader (clojure.lang.RT/baseLoader)]
    (boolean (some #(.getResource loader (str base %)) ["__init.class" ".clj" ".cljc"]))))

(defn- namespace-named
  "The namespace `sym`: loaded already; else required from its file; else, when it has no file (it was made at
  the manager's REPL), created here the way (ns sym) creates it, clojure.core referred and marked loaded."
  [sym]
  (or (find-ns sym)
      (if (loadable? sym)
        (do (require sym)
            (or (find-ns sym) (throw (ex-info (str "loading " sym " did not create namespace " sym) {:ns sym}))))
        (let [created (create-ns sym)]
          (binding [*ns* created] (refer 'clojure.core))
          (dosync (commute @#'clojure.core/*loaded-libs* conj sym))
          created))))

(defn- skip-whitespace!
  "Reads past leading whitespace, so that the compiler counts lines and columns from where the code starts."
  [^LineNumberingPushbackReader reader]
  (loop []
    (let [c (.read reader)]
      (cond (= c -1) nil
            (Character/isWhitespace (int c)) (recur)
            :else (.unread reader (int c))))))

(defn evaluate
  "Evaluates the forms in the string `code` with *ns* bound to the namespace `ns-name` (see namespace-named:
  required first if it is not loaded, created if it has no file); returns the last value, printed. Leading
  newlines and spaces count, so the manager can make line and column numbers in errors match its own."
  [ns-name code]
  (let [the-ns (namespace-named (symbol ns-name))
        reader (LineNumberingPushbackReader. (StringReader. ^String code))]
    (skip-whitespace! reader)
    (binding [*ns* the-ns]
      (pr-str (Compiler/load reader)))))

(defn failure-details
  "What the manager is told about an evaluation that threw `failure` (see prefork.EvalResult/details): the
  root cause's \"root-class\" and \"root-message\", the printed \"ex-data\" of the innermost exception with
  some (the compiler's own location data does not count), and the compiler's \"line\" and \"column\"."
  [^Throwable failure]
  (let [chain (take 20 (take-while some? (iterate #(.getCause ^Throwable %) failure)))
        ^Throwable root (last chain)
        compiler? #(instance? Compiler$CompilerException %)
        location (some #(when (compiler? %) (ex-data %)) chain)
        data (some #(when-not (compiler? %) (ex-data %)) (reverse chain))]
    (cond-> {"root-class" (.getName (class root)) "root-message" (or (.getMessage root) "")}
      data (assoc "ex-data" (binding [*print-length* 20 *print-level* 4] (pr-str data)))
      (:clojure.error/line location) (assoc "line" (str (:clojure.error/line location)))
      (:clojure.error/column location) (assoc "column" (str (:clojure.error/column location))))))
