(ns prefork.examples.echo
  "The demo's handler: echoes each line back until the client closes (TCP), or each datagram (UDP).
  Redefine `handle` from the nREPL control plane and every worker picks the new definition up; a new
  definition should read what the client sends before it answers (closing a connection with unread input
  resets it, and the client may lose the answer), e.g.
    (defn handle [{:keys [in out]}]
      (let [line (.readLine (java.io.BufferedReader. (java.io.InputStreamReader. in)))]
        (.write out (.getBytes (str \"changed: \" line \"\\n\")))))")

(defn handle
  "Echoes lines from :in to :out; for UDP, sends the payload back with :reply."
  [{:keys [^java.io.InputStream in ^java.io.OutputStream out payload reply]}]
  (if payload
    (reply payload)
    (let [reader (java.io.BufferedReader. (java.io.InputStreamReader. in "UTF-8"))]
      (loop []
        (when-let [line (.readLine reader)]
          (.write out (.getBytes (str line "\n") "UTF-8"))
          (.flush out)
          (recur))))))
