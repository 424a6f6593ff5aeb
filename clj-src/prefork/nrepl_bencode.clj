(ns prefork.nrepl-bencode
  "A bounded bencode transport for the control plane: nREPL 1.0.0's reader allocates whatever length a message
  announces (a 17-byte message announcing a huge string took 1.2 GB). Here every byte a peer sends is checked
  against the bencode grammar and the limits before nREPL's reader sees it; a string, message, token count or
  nesting over the limits, or malformed input, is refused with one log line and the connection is closed."
  (:require [nrepl.transport :as t])
  (:import (java.io BufferedInputStream BufferedOutputStream Closeable InputStream OutputStream)
           (java.net Socket SocketException)
           (java.nio ByteBuffer)
           (java.nio.channels Channels SocketChannel)))

(set! *warn-on-reflection* true)


(defn- close-quietly [x]
  (try (when (instance? Closeable x) (.close ^Closeable x)) (catch Exception _ nil)))

(definterface IBencodeScanner
  (^void scan [^bytes buf ^long off ^long len])
  (^void step [^long b])
  (^void valueDone [])
  (^void eof []))

;; states
(def ^:private ^:const VALUE 0) (def ^:private ^:const INT-START 1) (def ^:private ^:const INT-NEG 2)
(def ^:private ^:const INT-DIGITS 3) (def ^:private ^:const LEN 4) (def ^:private ^:const STRING 5)
;; container kinds on the stack
(def ^:private ^:const LIST 0) (def ^:private ^:const DKEY 1) (def ^:private ^:const DVAL 2)

(defn- digit? [^long b] (<= 48 b 57))

(deftype BencodeScanner [^long max-string ^long max-message ^long max-tokens ^long max-depth ^bytes stack fail
                         ^:unsynchronized-mutable ^long state ^:unsynchronized-mutable ^long depth
                         ^:unsynchronized-mutable ^long n ^:unsynchronized-mutable ^long digits
                         ^:unsynchronized-mutable ^long size ^:unsynchronized-mutable ^long tokens]
  IBencodeScanner
  (scan [this buf off len]
    (let [end (+ off len)]
      (loop [i off]
        (when (< i end)
          (if (== state STRING)
            (let [k (min n (- end i))]          ; string bytes were budgeted when the length was read
              (set! n (- n k))
              (set! size (+ size k))
              (when (zero? n) (set! state VALUE) (.valueDone this))
              (recur (+ i k)))
            (do (set! size (inc size))
                (when (> size max-message) (fail (str "message longer than " max-message " bytes")))
                (.step this (bit-and 0xff (long (aget buf i))))
                (recur (inc i))))))))
  (step [this b]
    (condp == state
      VALUE
      (let [top (if (zero? depth) -1 (aget stack (dec depth)))]
        (cond
          (== b 101) (cond (zero? depth) (fail "unexpected 'e' outside a message")
                           (== top DVAL) (fail "dictionary key without a value")
                           :else (do (set! depth (dec depth)) (.valueDone this)))
          (and (== top -1) (not= b 100)) (fail (format "a message must be a bencode dictionary, got byte 0x%02x" b))
          (and (== top DKEY) (not (digit? b))) (fail "dictionary key is not a string")
          :else
          (do (set! tokens (inc tokens))
              (when (> tokens max-tokens) (fail (str "message has more than " max-tokens " tokens")))
              (cond
                (or (== b 100) (== b 108))
                (do (when (>= depth max-depth) (fail (str "nesting deeper than " max-depth)))
                    (aset stack depth (byte (if (== b 100) DKEY LIST)))
                    (set! depth (inc depth)))
                (== b 105) (set! state INT-START)
                (digit? b) (do (set! state LEN) (set! n (- b 48)) (set! digits 1)
                               (when (> n max-string) (fail (str "string longer than " max-string " bytes"))))
                :else (fail (format "unexpected byte 0x%02x" b))))))
      INT-START (cond (== b 45) (set! state INT-NEG)
                      (digit? b) (do (set! state INT-DIGITS) (set! digits 1))
                      :else (fail "malformed integer"))
      INT-NEG (if (digit? b) (do (set! state INT-DIGITS) (set! digits 1)) (fail "malformed integer"))
      INT-DIGITS (cond (digit? b) (do (set! digits (inc digits))
                                      (when (> digits 18) (fail "integer too long")))
                       (== b 101) (do (set! state VALUE) (.valueDone this))
                       :else (fail "malformed integer"))
      LEN (cond (digit? b) (do (set! digits (inc digits))
                               (set! n (+ (* n 10) (- b 48)))
                               (when (or (> digits 12) (> n max-string))
                                 (fail (str "string longer than " max-string " bytes (declared length "
                                            (if (> digits 12) "has over 12 digits" (str "starts " n)) ")"))))
                (== b 58) (cond (> (+ size n) max-message)
                                (fail (str "message longer than " max-message " bytes (string of " n " declared)"))
                                (zero? n) (do (set! state VALUE) (.valueDone this))
                                :else (set! state STRING))
                :else (fail "malformed string length"))))
  (valueDone [_]
    (if (zero? depth)
      (do (set! size 0) (set! tokens 0))      ; a whole message: the budgets start again
      (let [i (dec depth) top (aget stack i)]
        (cond (== top DKEY) (aset stack i (byte DVAL))
              (== top DVAL) (aset stack i (byte DKEY))))))
  (eof [_]
    (when (or (pos? size) (not= state VALUE))
      (fail "connection closed in the middle of a message"))))

(def default-limits
  "Per message: strings up to 4 MiB, messages up to 8 MiB, 100000 tokens, 32 levels of nesting."
  {:max-string (* 4 1024 1024) :max-message (* 8 1024 1024) :max-tokens 100000 :max-depth 32})

(defn- bounded-input
  "An InputStream over `raw` that runs every byte through a BencodeScanner before handing it on; a
  violation calls `report` once (log one line, throw SocketException), and so does every later read."
  ^InputStream [^InputStream raw limits report]
  (let [{:keys [max-string max-message max-tokens max-depth]} (merge default-limits limits)
        failed (volatile! nil)
        fail (fn [why] (when-not @failed (vreset! failed why) (report why)) (throw (SocketException. (str @failed))))
        sc (BencodeScanner. max-string max-message max-tokens max-depth (byte-array (inc (long max-depth))) fail
                            VALUE 0 0 0 0 0)]
    (proxy [InputStream] []
      (read
        ([] (let [b (byte-array 1)
                  k (.read ^InputStream this b 0 1)]
              (if (neg? k) -1 (bit-and 0xff (long (aget b 0))))))
        ([b] (.read ^InputStream this ^bytes b 0 (alength ^bytes b)))
        ([b off len]
         (when @failed (throw (SocketException. (str @failed))))
         (let [k (.read raw ^bytes b (int off) (int len))]
           (if (neg? k)
             (do (.eof sc) -1)
             (do (.scan sc b off k) k)))))
      (available [] (.available raw))
      (close [] (.close raw)))))

(defn- channel-output
  "An OutputStream writing straight to a SocketChannel (not Channels/newOutputStream, which shares a lock
  with the blocked reader: see nrepl.socket)."
  ^OutputStream [^SocketChannel ch]
  (proxy [OutputStream] []
    (write
      ([b] (if (bytes? b)
             (.write ^OutputStream this ^bytes b 0 (alength ^bytes b))
             (.write ^OutputStream this (byte-array [(unchecked-byte b)]) 0 1)))
      ([b off len] (let [bb (ByteBuffer/wrap b (int off) (int len))]
                     (while (.hasRemaining bb) (.write ch bb)))))
    (flush [])
    (close [] (.close ch))))

(defn- bounded-bencode
  "Like nrepl.transport/bencode for an accepted java.net.Socket or Unix SocketChannel, but every message is
  checked against `limits` (see `default-limits`) before nREPL's reader sees it. A violation, a malformed
  message or a connection closed mid-message is logged as one line (to `log`) naming the peer, and ends the
  connection quietly: recv throws a SocketException, which nrepl.server/accept-connection swallows."
  [sock limits log]
  (let [who (if (instance? Socket sock) (str (.getRemoteSocketAddress ^Socket sock)) "a unix socket peer")
        fail (fn [why] (log (str "nREPL: refused a message from " who ": " why "; connection closed")))
        [raw-in out] (if (instance? Socket sock)
                       [(.getInputStream ^Socket sock) (BufferedOutputStream. (.getOutputStream ^Socket sock))]
                       [(Channels/newInputStream ^SocketChannel sock)
                        (BufferedOutputStream. (channel-output sock) 8192)])
        in (BufferedInputStream. (bounded-input raw-in limits fail))
        ;; no third argument: nREPL's disconnection check hints it as a Socket, which a SocketChannel is not
        inner (t/bencode in out)
        logged (volatile! false)]
    (reify
      t/Transport
      (recv [this] (t/recv this Long/MAX_VALUE))
      (recv [_ timeout]
        (try (t/recv inner timeout)
             (catch SocketException e (throw e))
             (catch Throwable e
               (when-not @logged (vreset! logged true) (fail (str "undecodable message: " e)))
               (throw (SocketException. (str e))))))
      (send [this msg] (t/send inner msg) this)
      Closeable
      (close [_] (close-quietly inner) (close-quietly sock)))))

(defn bounded-transport-fn
  "An nREPL :transport-fn: bencode over the accepted socket, every message checked against `limits` (merged
  over `default-limits`); a refusal is one line passed to `log` (a fn of a string)."
  [limits log]
  (let [limits (merge default-limits limits)]
    (fn [sock] (bounded-bencode sock limits log))))
