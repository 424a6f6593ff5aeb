;; Run by DepsEdnIT in a copy of the project, on a JVM whose class path is tools.build with the tools.deps it
;; brings (from Maven Central; see pom.xml, maven-antrun-plugin). Does what the Clojure CLI does for a user who
;; depends on prefork by git or local root: resolves the :deps/prep-lib alias, runs the prep function deps.edn
;; declares (it compiles the Java core), checks its :ensure directory, then resolves deps.edn itself and prints
;; the class path of that basis on one line, "CLASSPATH=...". Any failure is an exception: exit status 1.
(require '[clojure.tools.deps :as deps]
         '[clojure.edn :as edn]
         '[clojure.java.io :as io]
         '[clojure.string :as str])

(let [project (edn/read-string (slurp "deps.edn"))
      {:keys [alias ensure] prep-fn :fn} (:deps/prep-lib project)
      {:keys [paths ns-default]} (get-in project [:aliases alias])
      build-basis (deps/create-basis {:project "deps.edn" :aliases [alias]})]
  (when-not (some #(str/includes? % "tools.build") (keys (:classpath build-basis)))
    (throw (ex-info "the prep alias's basis has no tools.build" {:alias alias :classpath (:classpath build-basis)})))
  ;; the alias's :paths hold its namespace (as the CLI's prep puts them on the class path)
  (load-file (str (first paths) "/" (str/replace (name ns-default) "." "/") ".clj"))
  ((requiring-resolve (symbol (name ns-default) (name prep-fn))) {})
  (when-not (.isDirectory (io/file ensure))
    (throw (ex-info "the prep step did not make its :ensure directory" {:ensure ensure})))
  (let [basis (deps/create-basis {:project "deps.edn"})]
    (println (str "CLASSPATH=" (str/join ":" (map #(.getAbsolutePath (io/file %)) (:classpath-roots basis)))))
    (shutdown-agents)))
