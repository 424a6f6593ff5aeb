;; Run by Maven (pom.xml, exec-maven-plugin at process-classes) with clojure.compile.path set to target/classes:
;; AOT-compiles the namespaces every Clojure worker loads at boot, so that workers do not compile them (and the
;; class data archive can hold them); loads the manager's namespaces to check them; exits 1 on a reflection
;; warning in any of them.
;;
;; Then it dates the copies of the compiled namespaces' sources in target/classes 10 s before their __init
;; classes. Clojure loads a namespace from its compiled classes only when the __init.class is strictly newer
;; than the .clj beside it, and a jar keeps times to 2 seconds: a build in which the resource copy and the
;; compilation fell in the same 2 seconds shipped classes no worker used, and every Clojure worker compiled
;; prefork.examples.echo at boot (about 40 ms of it, measured).
(ns aot
  (:require [clojure.java.io :as io]))

(def compiled
  "The namespaces compiled, as the path of their files under the class path root, without extension."
  {'prefork.worker "prefork/worker"
   'prefork.examples.echo "prefork/examples/echo"})

(let [out (System/getProperty "clojure.compile.path")
      warnings (java.io.StringWriter.)]
  (binding [*err* warnings]
    (doseq [ns-name (keys compiled)]
      (compile ns-name))
    (require 'prefork.server 'prefork.repl 'prefork.nrepl))
  (print (str warnings))
  (flush)
  (when (re-find #"Reflection warning" (str warnings))
    (System/exit 1))
  (doseq [base (vals compiled)
          :let [init (io/file out (str base "__init.class"))
                source (io/file out (str base ".clj"))]]
    (when-not (and (.isFile init) (.isFile source)
                   (.setLastModified source (- (.lastModified init) 10000)))
      (binding [*out* *err*]
        (println "aot.clj: cannot date" (str source) "before" (str init)))
      (System/exit 1))))
