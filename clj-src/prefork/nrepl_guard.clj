(ns prefork.nrepl-guard
  "Who may use the control plane: only processes of the manager's own user (and root). A TCP peer on this
  host is looked up in the kernel's socket tables (/proc/net/tcp, /proc/net/tcp6: the row of the peer's
  socket names its owner uid); a Unix-socket peer is asked with SO_PEERCRED. A refused connection is closed
  before a byte of it is read, with one log line. `place-socket!` puts the Unix socket file where it was asked
  for without a moment in which another user could connect to it."
  (:require [clojure.string :as str])
  (:import (java.io Closeable FileInputStream ByteArrayOutputStream)
           (java.net Inet4Address InetAddress InetSocketAddress NetworkInterface Socket)
           (java.nio ByteBuffer ByteOrder)
           (java.nio.channels SocketChannel)
           (java.nio.file CopyOption Files FileSystems Path StandardCopyOption)
           (java.nio.file.attribute FileAttribute PosixFilePermissions)
           (jdk.net ExtendedSocketOptions UnixDomainPrincipal)
           (prefork.manager NativeListener)))

(set! *warn-on-reflection* true)

(defn- read-proc
  "The text of a /proc file (read(2) until EOF; /proc files have no size), at most 64 MiB."
  ^String [^String path]
  (with-open [in (FileInputStream. path)]
    (let [out (ByteArrayOutputStream. 65536)
          buf (byte-array 65536)]
      (loop []
        (let [n (.read in buf)]
          (when (and (pos? n) (< (.size out) (* 64 1024 1024)))
            (.write out buf 0 n)
            (recur))))
      (.toString out "ISO-8859-1"))))

(defn own-uid
  "This process's effective uid (the second number of the Uid: line of /proc/self/status)."
  ^long []
  (let [line (first (filter #(str/starts-with? % "Uid:") (str/split-lines (read-proc "/proc/self/status"))))]
    (Long/parseLong (second (str/split (str/trim (subs line 4)) #"\s+")))))

(defn- kernel-hex
  "Address bytes as /proc/net/tcp{,6} print them: each 32-bit word in host byte order, %08X."
  ^String [^bytes addr]
  (let [words (.order (ByteBuffer/wrap addr) (ByteOrder/nativeOrder))]
    (apply str (for [i (range 0 (alength addr) 4)]
                 (format "%08X" (bit-and 0xffffffff (.getInt words (int i))))))))

(defn- v4->mapped
  "The IPv4-mapped IPv6 form (::ffff:a.b.c.d) of 4 address bytes; 16 bytes are returned as they are."
  ^bytes [^bytes addr]
  (if (= 16 (alength addr))
    addr
    (let [mapped (byte-array 16)]
      (aset-byte mapped 10 (unchecked-byte 0xff))
      (aset-byte mapped 11 (unchecked-byte 0xff))
      (System/arraycopy addr 0 mapped 12 4)
      mapped)))

(defn- mapped->v4 ^bytes [^bytes addr]
  (if (= 16 (alength addr)) (java.util.Arrays/copyOfRange addr 12 16) addr))

(defn- endpoint ^String [^bytes addr port] (str (kernel-hex addr) ":" (format "%04X" (long port))))

(defn- candidates
  "[table peer-endpoint our-endpoint] triples under which the peer's socket may be listed: an IPv4 peer's
  socket is in /proc/net/tcp if it is AF_INET, or in /proc/net/tcp6 as ::ffff:a.b.c.d if it is a dual-stack
  AF_INET6 socket (Java's default)."
  [^InetSocketAddress peer ^InetSocketAddress ours]
  (let [pa (.getAddress (.getAddress peer)) pp (.getPort peer)
        oa (.getAddress (.getAddress ours)) op (.getPort ours)]
    (cond-> [["/proc/net/tcp6" (endpoint (v4->mapped pa) pp) (endpoint (v4->mapped oa) op)]]
      (instance? Inet4Address (.getAddress peer))
      (conj ["/proc/net/tcp" (endpoint pa pp) (endpoint (mapped->v4 oa) op)]))))

(defn- scan-table
  "The owner uid of the row of `table` whose local address is `local` and remote address `remote` and whose
  inode is not 0 (a socket that some process holds open), or nil."
  [table ^String local remote]
  (let [text (read-proc table)]
    (loop [from 0]
      (let [i (.indexOf text local (int from))]
        (when-not (neg? i)
          (let [start (inc (.lastIndexOf text "\n" i))
                end (let [e (.indexOf text "\n" i)] (if (neg? e) (count text) e))
                f (str/split (str/trim (subs text start end)) #"\s+")]
            (if (and (> (count f) 9) (= local (f 1)) (= remote (f 2)) (not= "0" (f 9)))
              (Long/parseLong (f 7))
              (recur end))))))))

(def ^:private retry-delays-ms
  "A table is read in page-sized chunks, not as a snapshot, so a row can be missed while other sockets come
  and go: a miss is retried after these delays. A hit is never wrong (the 4-tuple is unique)."
  [0 2 10])

(defn peer-uid
  "The uid owning the other end of the accepted TCP `socket`, from /proc/net/tcp{,6}; nil when no socket of
  this host's network namespace that a process holds open is the peer."
  [^Socket socket]
  (let [peer (.getRemoteSocketAddress socket) ours (.getLocalSocketAddress socket)]
    (when (and (instance? InetSocketAddress peer) (instance? InetSocketAddress ours))
      (let [tables (candidates peer ours)]
        (loop [[delay & more] retry-delays-ms]
          (when delay
            (when (pos? (long delay)) (Thread/sleep (long delay)))
            (or (some (fn [[table local remote]] (scan-table table local remote)) tables)
                (recur more))))))))

(defn- local-address?
  "Whether `address` is one of this host's (loopback or an interface's): its peer must be in our tables."
  [^InetAddress address]
  (or (.isLoopbackAddress address) (.isAnyLocalAddress address)
      (some? (try (NetworkInterface/getByInetAddress address) (catch Exception _ nil)))))

(defn- unix-peer-uid
  "The uid of the peer of a Unix-domain SocketChannel (SO_PEERCRED)."
  [^SocketChannel channel]
  (let [user (.user ^UnixDomainPrincipal (.getOption channel ExtendedSocketOptions/SO_PEERCRED))]
    ;; UnixUserPrincipals are equal by uid; a numeric name is looked up as that uid
    (some (fn [uid] (when (= user (.lookupPrincipalByName (.getUserPrincipalLookupService (FileSystems/getDefault))
                                                          (str uid)))
                      uid))
          [(own-uid) 0])))

(defn- verdict
  "[allowed? who] for an accepted java.net.Socket or Unix SocketChannel."
  [sock allowed-uids allow-remote?]
  (if (instance? Socket sock)
    (let [^Socket sock sock
          peer ^InetSocketAddress (.getRemoteSocketAddress sock)
          local? (local-address? (.getAddress peer))
          uid (when local? (peer-uid sock))]
      [(if local? (contains? allowed-uids uid) (boolean allow-remote?))
       (str peer (if local? (str " (uid " (or uid "unknown") ")") " (another host)"))])
    (let [uid (unix-peer-uid sock)]
      [(contains? allowed-uids uid) (str "a unix socket peer (uid " (or uid "of another user") ")")])))

(def ^:private refused
  "The transport of a refused connection: recv returns nil, so nREPL's accept loop closes it quietly."
  (reify
    nrepl.transport.Transport
    (recv [_] nil)
    (recv [_ _] nil)
    (send [this _] this)
    Closeable
    (close [_] nil)))

(defn owner-only
  "Wraps the nREPL :transport-fn `transport-fn` so that a connection from a process of another user is closed
  before anything is read from it, with one line to `log` (a fn of a string). Allowed: this process's uid and
  root (who can read our memory anyway); with `allow-remote?`, also peers on other hosts, whose uid no table
  tells. nREPL 1.0.0 calls :transport-fn in the connection's own future, after the next accept is scheduled."
  [transport-fn {:keys [log allow-remote?]}]
  (let [allowed (set [(own-uid) 0])]
    (fn [sock]
      (let [[ok? who] (try (verdict sock allowed allow-remote?)
                           (catch Throwable e [false (str "a peer that cannot be identified (" e ")")]))]
        (if ok?
          (transport-fn sock)
          (do (try (.close ^Closeable sock) (catch Exception _ nil))
              (log (str "nREPL: refused a connection from " who ": only uid " (str/join " and " (sort allowed)) " may connect"))
              refused))))))

(def ^:private owner-only-dir (PosixFilePermissions/asFileAttribute (PosixFilePermissions/fromString "rwx------")))

(defn place-socket!
  "Binds a Unix socket at `path` through `bind!` (a fn of the path to bind, returning the server) without a
  window: it is bound inside a fresh directory of mode 0700 next to `path`, chmod-ed to 0600 there, then
  renamed into place (rename(2): atomic), and the directory removed. A socket file at `path` that a live
  server answers on is refused; a stale one is replaced. Returns the server; throws IOException."
  [path bind!]
  (let [target (.toAbsolutePath (Path/of (str path) (make-array String 0)))
        _ (NativeListener/removeIfStale target "nreplSocket")
        dir (Files/createTempDirectory (.getParent target) ".prefork-nrepl-" (into-array FileAttribute [owner-only-dir]))
        inner (.resolve dir "nrepl.sock")]
    (try
      (let [server (bind! (str inner))]
        (try
          (Files/setPosixFilePermissions inner (PosixFilePermissions/fromString "rw-------"))
          (Files/move inner target (into-array CopyOption [StandardCopyOption/ATOMIC_MOVE]))
          server
          (catch Throwable e
            (try (.close ^Closeable server) (catch Exception _ nil))
            (throw e))))
      (finally
        (Files/deleteIfExists inner)
        (Files/deleteIfExists dir)))))
