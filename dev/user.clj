(ns user
  "REPL helpers for working on prefork itself (on the classpath with the :dev alias, or
  `java -cp $(cat target/classpath.txt):dev clojure.main`)."
  (:require [clojure.test :as test]
            [prefork.server :as ps]))

(defonce ^{:doc "The server started by `go`, or nil."} server nil)

(defn go
  "Starts an echo server (prefork.examples.echo/handle) with `opts` merged over {:port 7000 :min-servers 2
  }; keeps it in `user/server` and returns it. Stops a previous one first."
  ([] (go {}))
  ([opts]
   (when server (ps/stop-server server))
   (alter-var-root #'server (constantly (ps/start-server (merge {:port 7000 :min-servers 2} opts)
                                                         #'prefork.examples.echo/handle)))))

(defn stop
  "Stops the server started by `go`. Returns nil."
  []
  (when server (ps/stop-server server) (alter-var-root #'server (constantly nil))))

(defn run-tests
  "Runs the clojure.test namespaces of test/clj (they start real worker JVMs). Returns the summary."
  []
  (let [namespaces '[prefork.server-test prefork.nrepl-test]]
    (apply require namespaces)
    (apply test/run-tests namespaces)))
