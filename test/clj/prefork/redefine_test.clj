(ns prefork.redefine-test
  "Live redefinition through a real nREPL client (nrepl.core) against a server with real worker JVMs: only
  definitions are mirrored, failures carry their root cause, the record holds only what the pool runs, the
  pool converges after a partial failure, and namespaces made at the REPL reach the workers."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [nrepl.core :as nrepl]
            [prefork.server :as ps]
            [prefork.test-support :as support :refer [ask await-until pids serving?]]))

(defn- start [log & {:as opts}]
  (ps/start-server (merge {:port 0 :min-servers 2 :max-servers 4 :min-spare-servers 0 :max-spare-servers 4
                           :nrepl-port 0
                           :log #(do (swap! log conj %) (binding [*out* *err*] (println %)))}
                          opts)
                   'prefork.test-handlers/pid-version))

(defn- in-handler-ns
  "Evaluates `code` in the handler's namespace (watched) through the session; the combined responses."
  [session code & {:as extra}]
  (ask session (merge {:op "eval" :ns "prefork.test-handlers" :code code} extra)))

(defn- worker-values
  "The printed value of `code` in each live worker (one-off, not recorded), as a vector by pid."
  [server code]
  (let [results (ps/eval-in-workers server code {:ns "prefork.test-handlers"})]
    (is (every? #{:ok} (map :status (vals results))) (pr-str results))
    (vec (map :value (vals results)))))

(defn- statuses [response]
  (frequencies (map #(get % :status) (:prefork/results response))))

(defn- logged [log fragment]
  (filter #(str/includes? % fragment) @log))

(def ^:private v2
  "(defn pid-version [{:keys [^java.io.OutputStream out]}]
     (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) \" v2\\n\") \"UTF-8\")))")

(deftest definitions-reach-the-workers-everything-else-runs-in-the-manager
  (let [log (atom [])]
    (with-open [server (start log)
                conn (nrepl/connect :port (ps/nrepl-port server))]
      (let [client (nrepl/client conn 60000)
            session (nrepl/client-session client)]
        (testing "println in the handler's namespace prints once, in the manager"
          (let [response (in-handler-ns session "(println \"printed once\")")]
            (is (= "printed once\n" (:out response)))
            (is (nil? (:prefork/results response)))))
        (testing "a side effect that is no definition stays in the manager"
          (try
            (is (nil? (:prefork/results (in-handler-ns session "(System/setProperty \"prefork.probe\" \"manager\")"))))
            (is (= "manager" (System/getProperty "prefork.probe")))
            (is (= ["nil" "nil"] (worker-values server "(System/getProperty \"prefork.probe\")")))
            (finally (System/clearProperty "prefork.probe"))))
        (testing "control calls typed in the handler's namespace run in the manager only"
          (let [response (in-handler-ns session "(mapv :pid (prefork.repl/workers))")]
            (is (= (pids server) (set (read-string (last (:value response))))))
            (is (nil? (:prefork/results response))))
          (let [response (in-handler-ns session "(prefork.repl/resize! {:min-servers 3})")]
            (is (nil? (:prefork/results response)) (pr-str response))
            (is (nil? (:err response)))
            (is (await-until 60 #(serving? server 3)))))
        (testing "a macro of your own that expands to def is mirrored"
          (is (= {"ok" 3} (statuses (in-handler-ns session "(defmacro defversion [n v] `(def ~n ~v))"))))
          (is (= {"ok" 3} (statuses (in-handler-ns session "(defversion version \"v-macro\")"))))
          (is (= (repeat 3 "\"v-macro\"") (worker-values server "version"))))
        (testing "require with an alias is mirrored, and code using the alias then works in every worker"
          (is (= {"ok" 3} (statuses (in-handler-ns session "(require '[clojure.string :as cs])"))))
          (is (= {"ok" 3} (statuses (in-handler-ns session "(defn shout [s] (cs/upper-case s))"))))
          (is (= (repeat 3 "\"A\"") (worker-values server "(shout \"a\")"))))
        (testing "in a message of several forms, each definition is mirrored and the rest is not"
          (let [all (support/responses session {:op "eval" :ns "prefork.test-handlers"
                                                :code "(def a1 1) (+ a1 1) (def a2 (inc a1))"})]
            (is (= 2 (count (keep :prefork/results all))))
            (is (= ["#'prefork.test-handlers/a1" "2" "#'prefork.test-handlers/a2"] (keep :value all))))
          (is (= (repeat 3 "3") (worker-values server "(+ a1 a2)"))))
        (testing "a worker started later replays the recorded definitions, not the rest"
          (ps/resize! server {:min-servers 4})
          (is (await-until 60 #(serving? server 4)))
          (is (= (repeat 4 "[\"v-macro\" 3]") (worker-values server "[version (+ a1 a2)]"))))
        (testing "the explicit broadcast: the prefork/eval-in-workers op, described by describe"
          (let [ops (:ops (ask client {:op "describe" :verbose? "true"}))
                doc (get-in ops [:prefork/eval-in-workers :doc])]
            (is (re-find #"define or load code" (str doc)) (pr-str (keys ops))))
          (let [response (ask session {:op "prefork/eval-in-workers" :ns "prefork.test-handlers"
                                       :code "(str prefork.worker/*in-worker*)"})]
            (is (= (pids server) (set (map #(get % :pid) (:prefork/results response)))))
            (is (every? #(= "\"true\"" (get % :value)) (:prefork/results response)))
            (is (re-find #"prefork: applied in 4 of 4 workers" (:out response))))
          (let [response (ask session {:op "prefork/eval-in-workers" :ns "prefork.test-handlers"
                                       :code "(def from-the-op :recorded)" :record "true"})]
            (is (= {"ok" 4} (statuses response))))
          (is (not (resolve 'prefork.test-handlers/from-the-op)) "the op does not evaluate in the manager")
          (ps/resize! server {:max-servers 5 :min-servers 5})
          (is (await-until 60 #(serving? server 5)))
          (is (= (repeat 5 ":recorded") (worker-values server "from-the-op"))))
        (is (empty? (logged log "failed in worker")))))))

(deftest failures-carry-their-root-cause-and-what-fails-everywhere-is-not-recorded
  (let [log (atom [])]
    (with-open [server (start log)
                conn (nrepl/connect :port (ps/nrepl-port server))]
      (let [session (nrepl/client-session (nrepl/client conn 60000))]
        (testing "a namespace made in the manager only: code using it fails in every worker, saying why"
          (is (nil? (:prefork/results (ask session {:op "eval" :ns "user"
                                                    :code "(ns prefork.manager-only) (defn f [] 1)"}))))
          (let [response (in-handler-ns session "(defn uses-manager-only [] (prefork.manager-only/f))")
                results (:prefork/results response)]
            (is (= {"error" 2} (statuses response)) (pr-str response))
            (is (every? #(= "java.lang.ClassNotFoundException" (get % :root-class)) results))
            (is (every? #(= "prefork.manager-only" (get % :root-message)) results))
            (is (every? #(= 1 (get % :line)) results))
            (is (re-find #"worker \d+ error: java.lang.ClassNotFoundException: prefork.manager-only \(line 1\)"
                         (:out response)))
            (is (re-find #"not recorded" (:out response)))
            (is (= 2 (count (logged log "java.lang.ClassNotFoundException: prefork.manager-only (line 1)"))) (pr-str @log))))
        (testing "an alias the manager has and the workers do not"
          (is (= {"error" 2} (statuses (in-handler-ns session "(alias 'mo 'prefork.manager-only)"))))
          (let [response (in-handler-ns session "(defn uses-alias [] (mo/f))")
                results (:prefork/results response)]
            (is (every? #(= "No such namespace: mo" (get % :root-message)) results) (pr-str results))
            (is (re-find #"worker \d+ error: java.lang.RuntimeException: No such namespace: mo \(line 1\)" (:out response)))))
        (testing "the ex-data, and the line counted as the editor counts it (:line and :column of the message)"
          (let [response (in-handler-ns session
                                        "(def boom (when prefork.worker/*in-worker* (throw (ex-info \"only in workers\" {:why :test}))))"
                                        :line 40 :column 3)
                results (:prefork/results response)]
            (is (= {"error" 2} (statuses response)))
            (is (every? #(= "clojure.lang.ExceptionInfo" (get % :root-class)) results))
            (is (every? #(= "only in workers" (get % :root-message)) results))
            (is (every? #(= "{:why :test}" (get % :ex-data)) results))
            (is (every? #(= 40 (get % :line)) results) (pr-str results))
            (is (seq (logged log "clojure.lang.ExceptionInfo: only in workers (line 40) {:why :test}")))))
        (testing "prefork.server/redefine! returns the same details"
          (let [results (ps/redefine! server "(throw (ex-info \"from the api\" {:k 1}))" {:ns "user"})]
            (is (= #{{:status :error :value "clojure.lang.ExceptionInfo: from the api (line 1) {:k 1}"
                      :root-class "clojure.lang.ExceptionInfo" :root-message "from the api" :ex-data "{:k 1}"
                      :line 1 :column 1}}
                   (set (vals results))))))
        (testing "none of those was recorded: a new worker boots, and the last good code keeps serving"
          (ps/resize! server {:min-servers 3})
          (is (await-until 60 #(serving? server 3)))
          (is (empty? (logged log "boot-failed")))
          (is (= #{#{"v1"}} (set (vals (support/answers-by-pid (ps/server-port server) (pids server) 30))))))
        (testing "a change that throws in the manager is not sent"
          (let [response (in-handler-ns session "(def pid-version (throw (ex-info \"manager says no\" {})))")]
            (is (:ex response))
            (is (nil? (:prefork/results response)))))))))

(deftest after-a-partial-failure-the-pool-converges-on-the-recorded-code
  (let [log (atom [])]
    (with-open [server (start log :max-servers 2 :max-spare-servers 2 :on-shutdown 'prefork.test-handlers/linger)
                conn (nrepl/connect :port (ps/nrepl-port server))]
      (let [session (nrepl/client-session (nrepl/client conn 60000))
            port (ps/server-port server)
            [a b] (sort (pids server))
            responses (nrepl/message session
                                     {:op "eval" :ns "prefork.test-handlers"
                                      :code (str "(def guard (when (= " a " (.pid (java.lang.ProcessHandle/current)))"
                                                 " (throw (ex-info \"not in this worker\" {:pid " a "}))))\n" v2)})
            guard-results (first (keep :prefork/results responses))
            ;; right after the first verdict: the stale worker lingers 3 s in its shutdown hook
            workers-then (ps/workers server)
            all (doall responses)
            v2-results (second (keep :prefork/results all))
            out (apply str (keep :out all))]
        (testing "the change fails in one worker only: recorded, and that worker is marked stale and stopped"
          (is (= {a "error" b "ok"} (into {} (map (juxt #(get % :pid) #(get % :status))) guard-results)))
          (is (re-find #"recorded; the workers that failed are replaced" out))
          (let [stale (first (filter #(= a (:pid %)) workers-then))]
            (is (= :stopping (:state stale)) (pr-str stale))
            (is (re-find #"could not apply recorded code change \d+ in prefork.test-handlers: clojure.lang.ExceptionInfo: not in this worker"
                         (str (:stale stale))))))
        (testing "the next definition goes to the workers that run the record: b, and a's replacement if spawned"
          (is (= b (get (first v2-results) :pid)))
          (is (not-any? #{a} (map #(get % :pid) v2-results)))
          (is (every? #(= "ok" (get % :status)) v2-results)))
        (testing "the stale worker's replacement replays the record and serves it"
          (is (await-until 60 #(and (serving? server 2) (not ((pids server) a)))))
          (let [c (first (remove #{b} (pids server)))]
            (is (= {c #{"v2"}} (select-keys (support/answers-by-pid port [c] 30) [c])))))
        (testing "after kill -9, the replacement serves the recorded code too"
          (support/kill-9 b)
          (is (await-until 60 #(and (serving? server 2) (not ((pids server) b)))))
          (let [now (pids server)]
            (is (not-any? #{a b} now))
            (is (= #{#{"v2"}} (set (vals (select-keys (support/answers-by-pid port now 30) now)))))))
        (is (seq (logged log "is stale (could not apply recorded code change")) (pr-str @log))
        (is (empty? (logged log "boot-failed")))))))

(deftest a-replacement-that-cannot-replay-the-record-fails-its-boot-and-reload-starts-clean
  (let [log (atom [])]
    (with-open [server (start log :max-servers 2 :max-spare-servers 2)]
      (let [[a b] (sort (pids server))]
        (is (every? #{:ok} (map :status (vals (ps/eval-in-workers server "(def marker true)" {:ns "prefork.test-handlers"})))))
        (testing "a change that needs what only the live workers have is recorded"
          (let [results (ps/redefine! server (str "(def needs-marker (or (resolve 'prefork.test-handlers/marker)"
                                                  " (throw (ex-info \"no marker in this worker\" {:needs 'marker}))))")
                                      {:ns "prefork.test-handlers"})]
            (is (= #{:ok} (set (map :status (vals results)))))))
        (testing "a replacement cannot replay it: its boot fails with the root cause, and spawning backs off"
          (support/kill-9 a)
          (is (await-until 60 #(seq (logged log "exited (boot-failed)"))))
          (is (re-find #"cannot apply recorded code change \d+ in prefork.test-handlers: clojure.lang.ExceptionInfo: no marker in this worker \(line 1\) \{:needs marker\}"
                       (str (first (logged log "exited (boot-failed)")))))
          (is (await-until 30 #(seq (logged log "backoff:")))))
        (testing "reload! starts every worker clean from the code on disk"
          (ps/reload! server)
          (is (await-until 90 #(and (serving? server 2) (not-any? #{a b} (pids server))))
              (pr-str (ps/workers server)))
          (is (= 2 (:generation (ps/stats server))))
          (is (= #{#{"v1"}} (set (vals (support/answers-by-pid (ps/server-port server) (pids server) 30))))))))))

(deftest a-namespace-made-at-the-repl-is-watched-mirrored-and-replayed
  (let [log (atom [])]
    (with-open [server (start log :max-servers 2 :max-spare-servers 2)
                conn (nrepl/connect :port (ps/nrepl-port server))]
      (let [session (nrepl/client-session (nrepl/client conn 60000))
            port (ps/server-port server)
            eval-here #(ask session {:op "eval" :code %})]
        (testing "watch-ns! refuses a namespace that neither exists nor can be loaded"
          (let [e (try (ps/watch-ns! server 'prefork.no-such-ns) nil (catch clojure.lang.ExceptionInfo e e))]
            (is (= {:kind :prefork.server/invalid-argument :ns 'prefork.no-such-ns} (ex-data e)))
            (is (re-find #"cannot watch namespace prefork.no-such-ns" (str (ex-message e)))))
          (is (re-find #"cannot watch namespace prefork.no-such-ns"
                       (str (:err (eval-here "(prefork.repl/watch-ns! 'prefork.no-such-ns)")))))
          (is (not (contains? (.watchedNamespaces server) "prefork.no-such-ns"))))
        (testing "made at the REPL, not yet watched: the manager only"
          (is (nil? (:prefork/results (eval-here "(ns prefork.repl-made)")))))
        (testing "once watched, its ns form creates it in the workers, which have no file for it"
          (is (re-find #"prefork.repl-made" (str (:value (eval-here "(prefork.repl/watch-ns! 'prefork.repl-made)")))))
          (let [response (eval-here "(ns prefork.repl-made (:require [clojure.string :as str]))")]
            (is (= {"ok" 2} (statuses response)) (pr-str response)))
          (is (= {"ok" 2} (statuses (eval-here "(defn greeting [] (str/upper-case \"from the repl\"))")))))
        (testing "the handler redefined to use it serves from every worker"
          (is (= {"ok" 2} (statuses (in-handler-ns session
                                                   "(defn pid-version [{:keys [^java.io.OutputStream out]}]
                                                      (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) \" \"
                                                                                  (prefork.repl-made/greeting) \"\\n\") \"UTF-8\")))"))))
          (is (= #{#{"FROM THE REPL"}} (set (vals (support/answers-by-pid port (pids server) 30))))))
        (testing "a replacement after kill -9 replays the namespace and the handler"
          (let [before (pids server)
                victim (first before)]
            (support/kill-9 victim)
            (is (await-until 60 #(and (serving? server 2) (not ((pids server) victim)))))
            (let [fresh (first (remove before (pids server)))
                  answers (support/answers-by-pid port (pids server) 30)]
              (is (= #{#{"FROM THE REPL"}} (set (vals answers))) (pr-str answers))
              (is (contains? answers fresh)))))
        (is (empty? (logged log "failed in worker")) (pr-str (logged log "failed in worker")))))))
