(ns prefork.operator-test
  "What an operator reads from Clojure: plain-data workers, the status table, and the control plane's
  operator ops (prefork/status, prefork/workers and prefork/stats as JSON, prefork/eval) over a real nREPL
  client."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [nrepl.core :as nrepl]
            [prefork.server :as ps]
            [prefork.test-handlers]))

(defn- ask [client request]
  (nrepl/combine-responses (nrepl/message client request)))

(defn- plain? [x]
  (cond (map? x) (every? (fn [[k v]] (and (keyword? k) (plain? v))) x)
        (sequential? x) (every? plain? x)
        :else (or (nil? x) (number? x) (string? x) (keyword? x) (boolean? x))))

(deftest operators-read-plain-data-a-status-table-and-json
  (with-open [server (ps/start-server {:port 0 :min-servers 2 :max-servers 3 :min-spare-servers 0
                                       :max-spare-servers 3 :nrepl-port 0}
                                      #'prefork.test-handlers/echo)
              conn (nrepl/connect :port (ps/nrepl-port server))
              socket (java.net.Socket. "127.0.0.1" (int (ps/server-port server)))]
    (let [client (nrepl/client conn 30000)
          out (.getOutputStream socket)
          in (java.io.BufferedReader. (java.io.InputStreamReader. (.getInputStream socket)))]
      (.write out (.getBytes "hi\n"))
      (.flush out)
      (is (= "hi" (.readLine in)) "one worker is busy with this connection")
      (testing "workers are plain data, printable and readable back"
        (let [workers (ps/workers server)
              busy (first (filter #(= :busy (:state %)) workers))]
          (is (plain? workers))
          (is (= workers (read-string (pr-str workers))))
          (is (= (str "127.0.0.1:" (.getLocalPort socket)) (:client busy)))
          (is (nat-int? (:busy-ms busy)))
          (is (every? #(and (pos-int? (:rss-bytes %)) (pos-int? (:pss-bytes %)) (double? (:cpu-seconds %))) workers))
          (is (every? #(nil? (:previous-exit %)) workers))))
      (testing "status prints the table with every pid"
        (let [table (with-out-str (ps/status server))]
          (is (str/starts-with? table "SLOT  PID"))
          (is (every? #(str/includes? table (str " " (:pid %) " ")) (ps/workers server)))
          (is (str/includes? table "pool: min-servers 2, max-servers 3"))))
      (testing "the operator ops, as prefork ctl uses them"
        (is (str/starts-with? (:status-table (ask client {:op "prefork/status"})) "SLOT  PID"))
        (let [json (:json (ask client {:op "prefork/workers" :format "json"}))]
          (is (str/starts-with? json "[{"))
          (is (every? #(str/includes? json (str "\"pid\":" (:pid %) ",")) (ps/workers server))))
        (is (str/includes? (:json (ask client {:op "prefork/stats" :format "json"})) "\"served\":0"))
        (is (= ["3"] (:value (ask client {:op "prefork/eval" :code "(+ 1 2)"}))))
        (let [busy-pid (:pid (first (filter #(= :busy (:state %)) (ps/workers server))))
              {:keys [results status err]} (ask client {:op "prefork/eval" :code "(+ 1 2)" :workers "true"
                                                         :timeout "2"})
              by-pid (into {} (map (juxt :pid (juxt :status :value))) results)]
          (is (= 2 (count results)))
          (is (= "timeout" (first (by-pid busy-pid))) "the busy worker applies code only after its connection")
          (is (= [["ok" "3"]] (vals (dissoc by-pid busy-pid))))
          (is (contains? (set status) "error") "an error status when a worker did not answer ok")
          (is (str/includes? (str err) "1 of 2 workers did not answer ok")))))))
