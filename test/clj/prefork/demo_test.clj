(ns prefork.demo-test
  "The newcomer's path: dev/demo, an nREPL client, (workers), a redefinition of the echo handler that every
  worker then serves, and a clean stop on TERM."
  (:require [clojure.java.io :as io]
            [clojure.set :as set]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [nrepl.core :as nrepl]
            [prefork.test-support :refer [alive? worker-pids]]))

(defn- read-line-within
  "The next stdout line of the demo, waiting at most `seconds`."
  [^java.io.BufferedReader reader seconds]
  (let [line (future (.readLine reader))]
    (deref line (* 1000 seconds) nil)))

(defn- exchange [port text]
  (with-open [socket (java.net.Socket.)]
    (.connect socket (java.net.InetSocketAddress. "127.0.0.1" (int port)) 10000)
    (.setSoTimeout socket 10000)
    (let [out (.getOutputStream socket)
          in (io/reader (.getInputStream socket))]
      (.write out (.getBytes (str text "\n")))
      (.flush out)
      (.readLine ^java.io.BufferedReader in))))

(deftest the-demo-serves-echo-and-takes-a-live-redefinition
  (let [process (-> (ProcessBuilder. ["dev/demo" "--port" "0" "--nrepl-port" "0" "--min-servers" "3"])
                    (.redirectError (io/file "target/demo-test.log"))
                    (.start))
        reader (io/reader (.getInputStream process))]
    (try
      (let [listening (read-line-within reader 120)
            control (read-line-within reader 60)
            port (some->> listening (re-find #":(\d+)$") second parse-long)
            nrepl-port (some->> control (re-find #":(\d+) ") second parse-long)
            workers (worker-pids process)]
        (is (re-find #"^prefork: listening on tcp 127.0.0.1:\d+$" (str listening)))
        (is (re-find #"^prefork: nREPL control plane on 127.0.0.1:\d+ " (str control)))
        (is (= "hello" (exchange port "hello")))
        (with-open [conn (nrepl/connect :port nrepl-port)]
          (let [session (nrepl/client-session (nrepl/client conn 30000))
                ask #(nrepl/combine-responses (nrepl/message session %))]
            (is (= (set workers)
                   (set (read-string (first (:value (ask {:op "eval" :code "(mapv :pid (prefork.repl/workers))"})))))))
            (let [response (ask {:op "eval" :ns "prefork.examples.echo"
                                 :code "(defn handle [{:keys [in out]}]
                                          (let [line (.readLine (java.io.BufferedReader. (java.io.InputStreamReader. in)))]
                                            (.write out (.getBytes (str (.toUpperCase line) \" from \"
                                                                        (.pid (java.lang.ProcessHandle/current)) \"\\n\")))))"})]
              (let [results (:prefork/results response)]
                (is (<= 3 (count results)) (pr-str response))
                (is (every? #(= "ok" (:status %)) results) (pr-str response))))))
        (testing "every worker serves the new definition"
          (let [seen (atom #{})
                deadline (+ (System/nanoTime) 20000000000)]
            (while (and (< (System/nanoTime) deadline) (not (set/subset? (set workers) @seen)))
              (let [reply (exchange port "hello")
                    [_ pid] (re-find #"^HELLO from (\d+)$" reply)]
                (is pid (str "unexpected reply " reply))
                (when pid (swap! seen conj (parse-long pid)))))
            (is (set/subset? (set workers) @seen) "every worker (and any the pool added since) serves it")))
        (testing "TERM stops the demo and its workers"
          (.destroy process)
          (is (.waitFor process 30 java.util.concurrent.TimeUnit/SECONDS))
          (is (= 0 (.exitValue process)))
          (is (not-any? alive? workers))))
      (finally
        (.destroyForcibly process)))))
