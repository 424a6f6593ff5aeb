(ns build
  "tools.build tasks for Clojure CLI users (deps.edn's :deps/prep-lib): compile the Java core."
  (:require [clojure.tools.build.api :as b]))

(defn compile-java
  "Compiles java-src into target/classes for Java 17. Returns nil."
  [_]
  (b/javac {:src-dirs ["java-src"]
            :class-dir "target/classes"
            :basis (b/create-basis {:project "deps.edn"})
            :javac-opts ["--release" "17"]}))
