(ns prefork.nrepl-test
  "The control plane through a real nREPL client connected to the manager."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [nrepl.core :as nrepl]
            [prefork.server :as ps]
            [prefork.test-support :refer [ask await-until]]))

(defn- eval-value [client code]
  (let [{:keys [value err ex]} (ask client {:op "eval" :code code})]
    (when (or err ex) (throw (ex-info (str "eval failed: " err) {:code code})))
    (read-string (last value))))

(defn- reply [port]
  (with-open [socket (java.net.Socket.)]
    (.connect socket (java.net.InetSocketAddress. "127.0.0.1" (int port)) 10000)
    (.setSoTimeout socket 10000)
    (let [in (java.io.BufferedReader. (java.io.InputStreamReader. (.getInputStream socket)))
          line (.readLine in)
          [pid version] (str/split line #" ")]
      {:pid (parse-long pid) :version version})))

(defn- pids [server] (set (map :pid (ps/workers server))))

(defn- start []
  (ps/start-server {:port 0 :min-servers 2 :max-servers 6 :min-spare-servers 0 :max-spare-servers 6
                    :nrepl-port 0}
                   #'prefork.test-handlers/pid-version))

(deftest the-control-plane-inspects-resizes-and-reloads
  (with-open [server (start)
              conn (nrepl/connect :port (ps/nrepl-port server))]
    (let [client (nrepl/client conn 30000)
          session (nrepl/client-session client)]
      (testing "describe lists the prefork ops"
        (let [ops (set (map #(subs (str %) 1) (keys (:ops (ask client {:op "describe"})))))]
          (is (every? ops ["prefork/workers" "prefork/stats" "prefork/resize" "prefork/reload"]))))
      (testing "(workers) with no argument lists every worker of the server that started the nREPL"
        (is (= (pids server) (set (eval-value session "(mapv :pid (prefork.repl/workers))"))))
        (is (= 2 (eval-value session "(count (prefork.repl/workers))"))))
      (testing "the prefork/workers op, for clients that are not Clojure"
        (is (= (pids server) (set (map #(get % :pid) (:workers (ask client {:op "prefork/workers"})))))))
      (testing "resize! grows the pool and the new pids appear"
        (let [before (pids server)]
          (eval-value session "(prefork.repl/resize! {:min-servers 4})")
          (is (await-until 30 #(and (= 4 (count (pids server)))
                                    (every? #{:idle} (map :state (ps/workers server))))))
          (is (every? (pids server) before) "the old workers stay")
          (is (= 4 (:min-servers (:bounds (ask client {:op "prefork/resize" :min-servers 4})))))))
      (testing "reload! replaces every pid while concurrent clients see zero failures"
        (let [old (pids server)
              failures (atom 0)
              served (atom 0)
              stop (promise)
              clients (doall (for [_ (range 3)]
                               (future
                                 (loop [i 0]
                                   (when (and (< i 200000) (not (realized? stop)))
                                     (try (reply (ps/server-port server)) (swap! served inc)
                                          (catch Exception _ (swap! failures inc)))
                                     (recur (inc i)))))))]
          (is (await-until 10 #(> @served 20)) "load flows before the reload")
          (eval-value session "(prefork.repl/reload!)")
          (is (await-until 60 #(let [now (pids server)]
                                 (and (empty? (filter old now))
                                      (= 4 (count now))
                                      (every? #{:idle :busy} (map :state (ps/workers server)))))))
          (let [at-reload @served]
            (is (await-until 10 #(> @served (+ at-reload 20))) "load flows after the reload"))
          (deliver stop true)
          (run! deref clients)
          (is (= 0 @failures) (str "failed connections during reload, of " @served))
          (is (= 2 (:generation (ps/stats server)))))))))

(deftest redefining-the-handler-reaches-every-worker-and-later-ones
  (with-open [server (start)
              conn (nrepl/connect :port (ps/nrepl-port server))]
    (let [session (nrepl/client-session (nrepl/client conn 30000))
          port (ps/server-port server)
          redefine (fn [code] (ask session {:op "eval" :ns "prefork.test-handlers" :code code}))
          v2 "(defn pid-version [{:keys [^java.io.OutputStream out]}]
                (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) \" v2\\n\") \"UTF-8\")))"]
      (is (= "v1" (:version (reply port))))
      (testing "every worker answers with the new definition, proven per pid"
        (let [response (redefine v2)
              results (:prefork/results response)]
          (is (= (pids server) (set (map #(get % :pid) results))))
          (is (every? #(= "ok" (get % :status)) results) (pr-str results))
          (is (re-find #"prefork: applied in 2 of 2 workers" (str/join (:out response)))))
        (let [answers (atom {})]
          (await-until 20 #(do (let [{:keys [pid version]} (reply port)] (swap! answers update pid (fnil conj #{}) version))
                               (every? @answers (pids server))))
          (is (every? @answers (pids server)) "every worker answered")
          (is (every? #{#{"v2"}} (vals @answers)) (pr-str @answers))))
      (testing "a worker started afterwards has it too"
        (let [victim (first (pids server))]
          (.destroyForcibly ^java.lang.ProcessHandle (.get (java.lang.ProcessHandle/of victim)))
          (is (await-until 30 #(let [now (pids server)]
                                 (and (not (now victim)) (= 2 (count now))
                                      (every? #{:idle :busy} (map :state (ps/workers server)))))))
          (let [fresh (first (remove #{victim} (pids server)))
                answers (atom #{})]
            (await-until 20 #(let [{:keys [pid version]} (reply port)]
                               (when (= pid fresh) (swap! answers conj version))
                               (seq @answers)))
            (is (= #{"v2"} @answers)))))
      (testing "a change that throws in the workers is reported; the last good one keeps serving"
        (let [response (redefine "(def boom (when prefork.worker/*in-worker* (throw (ex-info \"only in workers\" {}))))")
              results (:prefork/results response)]
          (is (= 2 (count results)))
          (is (every? #(= "error" (get % :status)) results))
          (is (every? #(re-find #"only in workers" (get % :value)) results))
          (is (= "v2" (:version (reply port))))))
      (testing "a change that throws in the manager is not sent to the workers"
        (let [response (redefine "(def pid-version (throw (ex-info \"manager says no\" {})))")]
          (is (nil? (:prefork/results response)))
          (is (:ex response))
          (is (= "v2" (:version (reply port))))))
      (testing "reload! starts every worker clean from the code on disk"
        (let [old (pids server)]
          (ps/reload! server)
          (is (await-until 60 #(let [now (pids server)]
                                 (and (= 2 (count now)) (empty? (filter old now))
                                      (every? #{:idle} (map :state (ps/workers server)))))))
          (is (= "v1" (:version (reply port)))))))))

(deftest load-file-and-a-unix-socket-control-plane
  (let [dir (java.nio.file.Files/createTempDirectory "prefork-nrepl-test" (make-array java.nio.file.attribute.FileAttribute 0))
        path (str dir "/nrepl.sock")]
    (try
      (with-open [server (ps/start-server {:port 0 :min-servers 2 :max-servers 2 :min-spare-servers 0
                                           :max-spare-servers 2 :nrepl-socket path}
                                          'prefork.test-handlers/pid-version)]
        (testing "the socket file is private (0600)"
          (is (= "rw-------" (java.nio.file.attribute.PosixFilePermissions/toString
                              (java.nio.file.Files/getPosixFilePermissions
                               (java.nio.file.Path/of path (make-array String 0))
                               (make-array java.nio.file.LinkOption 0)))))
          (is (nil? (ps/nrepl-port server))))
        (with-open [conn (nrepl/connect :socket path)]
          (let [session (nrepl/client-session (nrepl/client conn 30000))
                file (str "(ns prefork.test-handlers)\n"
                          "(defn pid-version [{:keys [^java.io.OutputStream out]}]\n"
                          "  (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) \" v3\\n\") \"UTF-8\")))\n")
                response (ask session {:op "load-file" :file file :file-path "prefork/test_handlers.clj"
                                       :file-name "test_handlers.clj"})]
            (testing "load-file of a watched namespace reaches every worker"
              (is (= 2 (count (filter #(= "ok" (:status %)) (:prefork/results response)))) (pr-str response))
              (is (= #{"v3"} (set (repeatedly 6 #(:version (reply (ps/server-port server))))))))
            (testing "(workers) works over the Unix socket too"
              (is (= (pids server) (set (eval-value session "(mapv :pid (prefork.repl/workers))")))))
            (testing "an evaluation outside watched namespaces stays in the manager"
              (is (nil? (:prefork/results (ask session {:op "eval" :ns "user" :code "(def x 1)"})))))))
        (testing "the reloaded workers start from the code on disk"
          (let [old (pids server)]
            (ps/reload! server)
            (is (await-until 60 #(let [now (pids server)]
                                   (and (= 2 (count now)) (empty? (filter old now))
                                        (every? #{:idle} (map :state (ps/workers server)))))))
            (is (= "v1" (:version (reply (ps/server-port server)))))))
        (.close server)
        (is (not (.exists (java.io.File. path))) "stop-server removes the socket file"))
      (finally
        (java.nio.file.Files/deleteIfExists (java.nio.file.Path/of path (make-array String 0)))
        (java.nio.file.Files/deleteIfExists dir)))))
