(ns prefork.worker
  "Runs inside each worker JVM, through prefork.ClojureChild: resolves the handler and hooks the manager
  named, builds the request map for each connection or datagram, and evaluates code the manager sends."
  (:require [clojure.string :as str])
  (:import (prefork BaseChild)
           (java.net InetSocketAddress Socket)
           (java.nio.channels Channels SocketChannel)))

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
  "The map a handler receives: :in :out (TCP and Unix), :socket and :local-port (TCP), :payload and :reply
  (UDP), and always :remote-addr :remote-port (nil for Unix) :protocol :requests-handled."
  [^BaseChild child]
  (let [^InetSocketAddress remote (.address child)
        base {:remote-addr (some-> remote .getAddress .getHostAddress)
              :remote-port (some-> remote .getPort)
              :protocol (.text (.protocol child))
              :requests-handled (.requestsHandled child)}]
    (if-let [^SocketChannel channel (.channel child)]
      (let [^Socket socket (.conn child)]
        ;; TCP: the socket's streams, whose reads the idle-timeout bounds (SO_TIMEOUT); Unix: the channel's
        (assoc base :socket socket
                    :in (if socket (.getInputStream socket) (Channels/newInputStream channel))
                    :out (if socket (.getOutputStream socket) (Channels/newOutputStream channel))
                    :local-port (some-> socket .getLocalPort)))
      (assoc base :payload (.payload child)
                  :reply (fn [^bytes data] (.respTo child data))))))

(defn evaluate
  "Evaluates the forms in the string `code` with *ns* bound to the namespace `ns-name` (required first if it
  is not loaded); returns the last value, printed."
  [ns-name code]
  (let [sym (symbol ns-name)
        the-ns (or (find-ns sym)
                   (do (require sym) (find-ns sym)))]
    (binding [*ns* the-ns]
      (pr-str (load-string code)))))
