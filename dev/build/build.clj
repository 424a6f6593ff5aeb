(ns build
  "tools.build tasks for Clojure CLI users (deps.edn's :deps/prep-lib): compile the Java core."
  (:require [clojure.tools.build.api :as b]))

(defn compile-java
  "Compiles java-src into target/classes for Java 17. Returns nil. The class path comes from deps.edn with the
  user's deps.edn too (~/.clojure or $CLJ_CONFIG), so that a repository configured there (Debian's, standing in
  for Clojars) serves nREPL during the prep step as it does for the user's own basis."
  [_]
  (b/javac {:src-dirs ["java-src"]
            :class-dir "target/classes"
            :basis (b/create-basis {:project "deps.edn" :user :standard})
            :javac-opts ["--release" "17"]}))
