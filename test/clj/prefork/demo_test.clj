(ns prefork.demo-test
  "The newcomer's path: dev/demo, an nREPL client, (workers), a redefinition of the echo handler that every
  worker then serves, and a clean stop on TERM."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [nrepl.core :as nrepl]))

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

(defn- alive? [pid]
  (let [stat (io/file (str "/proc/" pid "/stat"))]
    (and (.exists stat)
         (not (re-find #"\) Z" (try (slurp stat) (catch Exception _ ") Z")))))))

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
            ;; worker JVMs only: a class data training JVM may be a child too, while the archive is made
            workers (->> (iterator-seq (.iterator (.children (.toHandle process))))
                         (map #(.pid ^java.lang.ProcessHandle %))
                         (filter #(str/includes? (try (slurp (str "/proc/" % "/cmdline")) (catch Exception _ ""))
                                                 "prefork.worker.Worker"))
                         vec)]
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
              (is (= 3 (count (filter #(= "ok" (:status %)) (:prefork/results response)))) (pr-str response)))))
        (testing "every worker serves the new definition"
          (let [seen (atom #{})
                deadline (+ (System/nanoTime) 20000000000)]
            ;; every first worker; workers the spare policy added meanwhile serve it too (the replay)
            (while (and (< (System/nanoTime) deadline) (not-every? @seen workers))
              (let [reply (exchange port "hello")
                    [_ pid] (re-find #"^HELLO from (\d+)$" reply)]
                (is pid (str "unexpected reply " reply))
                (when pid (swap! seen conj (parse-long pid)))))
            (is (every? @seen workers) (str "seen " @seen " of " workers))))
        (testing "TERM stops the demo and its workers"
          (.destroy process)
          (is (.waitFor process 30 java.util.concurrent.TimeUnit/SECONDS))
          (is (= 0 (.exitValue process)))
          (is (not-any? alive? workers))))
      (finally
        (.destroyForcibly process)))))
