(ns prefork.repl
  "prefork.server's control functions for the REPL of a server's control plane: the same names, without the
  server argument; each acts on prefork.server/*server*, which the control plane binds in every session.
  (require '[prefork.repl :as p]) then (p/status), (p/workers), (p/stats), (p/resize! {:max-servers 8}), (p/reload!),
  (p/upgrade!)."
  (:require [prefork.server :as ps]))

(set! *warn-on-reflection* true)

(defn- server []
  (or ps/*server*
      (throw (ex-info "prefork.server/*server* is not bound: these functions work in an nREPL session of a server's control plane"
                      {:kind :prefork.server/no-server}))))

(defn workers "See prefork.server/workers." [] (ps/workers (server)))
(defn stats "See prefork.server/stats." [] (ps/stats (server)))
(defn status "See prefork.server/status." [] (ps/status (server)))
(defn resize! "See prefork.server/resize!." [bounds] (ps/resize! (server) bounds))
(defn reload! "See prefork.server/reload!." [] (ps/reload! (server)))
(defn upgrade! "See prefork.server/upgrade!." ([] (ps/upgrade! (server))) ([opts] (ps/upgrade! (server) opts)))
(defn server-port "See prefork.server/server-port." [] (ps/server-port (server)))
(defn nrepl-port "See prefork.server/nrepl-port." [] (ps/nrepl-port (server)))
(defn watch-ns! "See prefork.server/watch-ns!." [ns] (ps/watch-ns! (server) ns))
(defn eval-in-workers "See prefork.server/eval-in-workers." ([form] (ps/eval-in-workers (server) form))
  ([form opts] (ps/eval-in-workers (server) form opts)))
(defn redefine! "See prefork.server/redefine!." ([form] (ps/redefine! (server) form))
  ([form opts] (ps/redefine! (server) form opts)))
