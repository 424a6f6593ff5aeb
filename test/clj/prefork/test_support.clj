(ns prefork.test-support
  "Helpers for the Clojure integration tests: bounded waits, an nREPL client's combined answers, and clients of
  the test handlers that prove which worker answered."
  (:require [clojure.string :as str]
            [nrepl.core :as nrepl]
            [prefork.server :as ps]))

(defn await-until
  "Polls (pred) every 20 ms until truthy, at most `seconds`; returns its value or nil."
  [seconds pred]
  (let [deadline (+ (System/nanoTime) (* seconds 1000000000))]
    (loop []
      (or (pred)
          (when (< (System/nanoTime) deadline)
            (Thread/sleep 20)
            (recur))))))

(defn ask
  "Sends `request` on an nREPL client or session and returns all responses, combined."
  [client request]
  (nrepl/combine-responses (nrepl/message client request)))

(defn responses
  "Sends `request` and returns every response, uncombined."
  [client request]
  (doall (nrepl/message client request)))

(defn exchange
  "Connects to 127.0.0.1:`port`, sends `line` (unless nil) and returns the first line of the answer (10 s
  bound)."
  [port line]
  (with-open [socket (java.net.Socket.)]
    (.connect socket (java.net.InetSocketAddress. "127.0.0.1" (int port)) 10000)
    (.setSoTimeout socket 10000)
    (let [out (.getOutputStream socket)
          in (java.io.BufferedReader. (java.io.InputStreamReader. (.getInputStream socket) "UTF-8"))]
      (when line
        (.write out (.getBytes (str line "\n") "UTF-8"))
        (.flush out))
      (.readLine in))))

(defn pid-reply
  "For handlers that answer \"<pid> <text>\" without reading: {:pid :text} of one connection to `port`."
  [port]
  (let [[pid text] (str/split (str (exchange port nil)) #" " 2)]
    {:pid (parse-long pid) :text text}))

(defn pids [server] (set (map :pid (ps/workers server))))

(defn serving?
  "Whether `server` has `n` workers, all idle or busy (none starting or stopping)."
  [server n]
  (let [workers (ps/workers server)]
    (and (= n (count workers)) (every? #{:idle :busy} (map :state workers)))))

(defn answers-by-pid
  "Connects to `port` until every pid in `wanted` has answered (at most `seconds`); returns {pid #{text}}."
  [port wanted seconds]
  (let [answers (atom {})]
    (await-until seconds #(let [{:keys [pid text]} (pid-reply port)]
                            (swap! answers update pid (fnil conj #{}) text)
                            (every? @answers wanted)))
    @answers))

(defn kill-9 [pid]
  (.destroyForcibly ^java.lang.ProcessHandle (.get (java.lang.ProcessHandle/of pid))))

(defn alive?
  "Whether `pid` runs (a zombie does not); /proc files are read with NIO: slurp cannot read them."
  [pid]
  (let [stat (java.nio.file.Path/of (str "/proc/" pid "/stat") (make-array String 0))]
    (boolean (some->> (try (java.nio.file.Files/readString stat) (catch java.io.IOException _ nil))
                      (re-find #"\) [^Z]")))))

(defn worker-pids
  "The pids of `process`'s running worker JVMs: its children running prefork.worker.Worker (zombies excluded;
  not the class data training JVM, a child too, which on JDK 25 runs for a few seconds after the server serves)."
  [^Process process]
  (set (filter #(and (alive? %)
                     (str/includes? (try (slurp (str "/proc/" % "/cmdline")) (catch Exception _ ""))
                                    "prefork.worker.Worker"))
               (map #(.pid ^java.lang.ProcessHandle %)
                    (iterator-seq (.iterator (.children (.toHandle process))))))))
