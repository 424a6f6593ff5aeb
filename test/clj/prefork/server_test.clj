(ns prefork.server-test
  (:require [clojure.test :refer [deftest is testing]]
            [prefork.server :as ps]
            [prefork.test-handlers]))

(defn- refusal [opts handler]
  (try (with-open [_ (ps/start-server opts handler)] nil)
       (catch clojure.lang.ExceptionInfo e {:message (ex-message e) :data (ex-data e)})))

(defn- child-pids []
  (set (map #(.pid ^java.lang.ProcessHandle %) (iterator-seq (.iterator (.children (java.lang.ProcessHandle/current)))))))

(deftest refusals-name-the-key-and-value-and-start-nothing
  (let [before (child-pids)]
    (testing "unknown option"
      (let [{:keys [message data]} (refusal {:port 0 :max-server 3} #'prefork.test-handlers/echo)]
        (is (= :max-server (:key data)))
        (is (re-find #"option :max-server 3 is unknown" message))))
    (testing "a fn value as handler"
      (let [{:keys [message data]} (refusal {:port 0} (fn [_]))]
        (is (= :handler (:key data)))
        (is (re-find #"handlers run in separate worker JVMs" message))))
    (testing "a symbol that names no var"
      (is (re-find #"does not name a var" (:message (refusal {:port 0} 'prefork.test-handlers/nope)))))
    (testing "bad values"
      (is (= {:key :port :value "80"} (select-keys (:data (refusal {:port "80"} #'prefork.test-handlers/echo)) [:key :value])))
      (let [{:keys [message data]} (refusal {:port 0 :min-servers 6 :max-servers 3} #'prefork.test-handlers/echo)]
        (is (= :min-servers (:key data)))
        (is (= ":min-servers 6 is greater than :max-servers 3" message)))
      (is (re-find #":protocol \"sctp\" is unknown: use tcp, tls, udp or unix"
                   (:message (refusal {:port 0 :protocol :sctp} #'prefork.test-handlers/echo))))
      (is (re-find #"must be a number of seconds"
                   (:message (refusal {:port 0 :timeout -1} #'prefork.test-handlers/echo)))))
    (testing ":watch and :nrepl values"
      (is (re-find #":watch 42 must be a list"
                   (:message (refusal {:port 0 :watch 42} #'prefork.test-handlers/echo))))
      (is (re-find #"names no.such.namespace, which cannot be loaded"
                   (:message (refusal {:port 0 :watch '[no.such.namespace]} #'prefork.test-handlers/echo))))
      (is (re-find #":nrepl-port 70000 is out of range: it must be between 0 and 65535"
                   (:message (refusal {:port 0 :nrepl-port 70000} #'prefork.test-handlers/echo)))))
    (testing "nREPL on a non-loopback address without the opt-in"
      (let [{:keys [message data]} (refusal {:port 0 :nrepl-port 0 :nrepl-bind "0.0.0.0"} #'prefork.test-handlers/echo)]
        (is (= :nrepl-bind (:key data)))
        (is (re-find #":nrepl-bind \"0.0.0.0\" is not loopback: .*add :nrepl-allow-remote true" message))))
    (is (= before (child-pids)) "no worker was started")))

(deftest start-server-serves-through-the-handler-var
  (with-open [server (ps/start-server {:port 0 :min-servers 2 :max-servers 3 :min-spare-servers 0
                                       :max-spare-servers 3}
                                      'prefork.test-handlers/echo)]
    (with-open [socket (java.net.Socket. "127.0.0.1" (int (ps/server-port server)))]
      (.setSoTimeout socket 10000)
      (let [out (.getOutputStream socket)
            in (java.io.BufferedReader. (java.io.InputStreamReader. (.getInputStream socket)))]
        (.write out (.getBytes "hi there\n"))
        (.flush out)
        (is (= "hi there" (.readLine in)))))
    (let [workers (ps/workers server)]
      (is (= 2 (count workers)))
      (is (every? #{:idle :busy} (map :state workers)))
      (is (= #{:slot :pid :state :requests :started-at :last-active :generation :listener
               :busy-ms :client :rss-bytes :pss-bytes :cpu-seconds :previous-exit} (set (keys (first workers))))))
    (is (= 2 (:min-servers (ps/stats server))))
    (testing "eval-in-workers answers per worker pid"
      (let [results (ps/eval-in-workers server '(+ 1 2) {:ns "user"})]
        (is (= (set (map :pid (ps/workers server))) (set (keys results))))
        (is (every? #{{:status :ok :value "3"}} (vals results))))
      (let [results (ps/eval-in-workers server "(throw (ex-info \"nope\" {}))" {:ns "user"})]
        (is (every? #(and (= :error (:status %)) (re-find #"nope" (:value %))) (vals results)))))))

(deftest udp-unix-and-several-listeners-from-clojure
  (let [dir (java.nio.file.Files/createTempDirectory "prefork-clj" (make-array java.nio.file.attribute.FileAttribute 0))
        path (str dir "/echo.sock")]
    (try
      (with-open [server (ps/start-server {:port 0 :protocol :udp :min-servers 1 :max-servers 2
                                           :min-spare-servers 0 :max-spare-servers 2
                                           :add-listener ["tcp://127.0.0.1:0" (str "unix:" path)]}
                                          'prefork.examples.echo/handle)]
        (testing "UDP: the handler gets :payload and answers with :reply"
          (with-open [socket (java.net.DatagramSocket.)]
            (.setSoTimeout socket 5000)
            (let [data (.getBytes "ping over udp")]
              (.send socket (java.net.DatagramPacket. data (alength data)
                                                      (java.net.InetSocketAddress. "127.0.0.1" (int (ps/server-port server)))))
              (let [packet (java.net.DatagramPacket. (byte-array 256) 256)]
                (.receive socket packet)
                (is (= "ping over udp" (String. (.getData packet) 0 (.getLength packet))))))))
        (testing "a Unix socket listener, and :listener in (workers)"
          (with-open [channel (java.nio.channels.SocketChannel/open
                               (java.net.UnixDomainSocketAddress/of ^String path))]
            (.write channel (java.nio.ByteBuffer/wrap (.getBytes "unix line\n")))
            (let [in (java.io.BufferedReader. (java.io.InputStreamReader. (java.nio.channels.Channels/newInputStream channel)))]
              (is (= "unix line" (.readLine in)))))
          (is (= 3 (count (set (map :listener (ps/workers server))))))))
      (finally
        (java.nio.file.Files/deleteIfExists (java.nio.file.Path/of path (make-array String 0)))
        (java.nio.file.Files/deleteIfExists dir)))))
