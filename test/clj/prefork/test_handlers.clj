(ns prefork.test-handlers
  "Handlers for the Clojure tests; they run in worker JVMs.")

(defn pid-version
  "Replies \"<pid> v1\" and closes."
  [{:keys [^java.io.OutputStream out]}]
  (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) " v1\n") "UTF-8")))

(defn echo
  "Echoes lines until the client closes."
  [{:keys [^java.io.InputStream in ^java.io.OutputStream out]}]
  (let [reader (java.io.BufferedReader. (java.io.InputStreamReader. in "UTF-8"))]
    (loop []
      (when-let [line (.readLine reader)]
        (.write out (.getBytes (str line "\n") "UTF-8"))
        (.flush out)
        (recur)))))

(defn linger
  "An on-shutdown hook that keeps an exiting worker for 3 s, so that tests can see it :stopping."
  [_error]
  (Thread/sleep 3000))

(defn peer
  "Replies \"<protocol> <number of peer certificates> <subject of the first, or none>\" and closes."
  [{:keys [^java.io.OutputStream out protocol peer-certificates]}]
  (let [^java.security.cert.X509Certificate first-cert (first peer-certificates)]
    (.write out (.getBytes (str protocol " " (count peer-certificates) " "
                                (if first-cert (.getName (.getSubjectX500Principal first-cert)) "none") "\n")
                           "UTF-8"))))
