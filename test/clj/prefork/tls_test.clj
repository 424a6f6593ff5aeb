(ns prefork.tls-test
  (:require [clojure.test :refer [deftest is testing]]
            [prefork.server :as ps]
            [prefork.test-handlers])
  (:import (prefork TestCertificates)
           (javax.net.ssl SSLSocket)))

(defn- ask
  "Connects over TLS (with the test client certificate or without), sends a line, returns the answer."
  [^TestCertificates certs client-cert? port]
  (with-open [^SSLSocket socket (TestCertificates/connect (.client certs client-cert?) (int port))]
    (let [out (.getOutputStream socket)]
      (.write out (.getBytes "hi\n"))
      (.flush out)
      (.readLine (java.io.BufferedReader. (java.io.InputStreamReader. (.getInputStream socket)))))))

(deftest a-tls-listener-gives-the-handler-plaintext-and-the-peer-certificates
  (let [certs (TestCertificates/make "clj")]
    (with-open [server (ps/start-server {:port 0 :protocol :tls :min-servers 1 :max-servers 1
                                         :min-spare-servers 0 :max-spare-servers 1
                                         :tls-cert (str (.serverCert certs)) :tls-key (str (.serverKey certs))
                                         :tls-client-auth :want :tls-client-ca (str (.caCert certs))
                                         :allow ["127.0.0.0/8"]}
                                        #'prefork.test-handlers/peer)]
      (testing "a client with a certificate: :peer-certificates holds its chain"
        (is (= "tls 1 CN=prefork-test-client" (ask certs true (ps/server-port server)))))
      (testing "a client without one (want): an empty vector"
        (is (= "tls 0 none" (ask certs false (ps/server-port server))))))
    (testing "a bad key is refused with the key named, before anything starts"
      (let [e (try (ps/start-server {:port 0 :protocol :tls :tls-cert (str (.serverCert certs))
                                     :tls-key (str (.clientKey certs))}
                                    #'prefork.test-handlers/peer)
                   (catch clojure.lang.ExceptionInfo e e))]
        (is (= :tls-key (:key (ex-data e))))
        (is (re-find #"^:tls-key \".*client.key\" does not match the certificate of" (ex-message e)))))))
