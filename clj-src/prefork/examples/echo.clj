(ns prefork.examples.echo
  "The demo's handler: echoes each line back until the client closes (TCP), or each datagram (UDP).
  Redefine `handle` from the nREPL control plane and every worker picks the new definition up; a new
  definition should read what the client sends before it answers (closing a connection with unread input
  resets it, and the client may lose the answer), e.g.
    (defn handle [{:keys [in out]}]
      (let [line (.readLine (java.io.BufferedReader. (java.io.InputStreamReader. in)))]
        (.write out (.getBytes (str \"changed: \" line \"\\n\")))))"
  (:import (java.nio.charset StandardCharsets)))

(defn handle
  "Echoes lines from :in to :out; for UDP, sends the payload back with :reply. The same work per line as the
  Java example (prefork.examples.EchoChild), so that benchmarks compare the two paths and not two handlers."
  [{:keys [^java.io.InputStream in ^java.io.OutputStream out payload reply]}]
  (if payload
    (reply payload)
    (let [reader (java.io.BufferedReader. (java.io.InputStreamReader. in StandardCharsets/UTF_8))]
      (loop []
        (when-let [^String line (.readLine reader)]
          (.write out (.getBytes (.concat line "\n") StandardCharsets/UTF_8))
          (.flush out)
          (recur))))))
