(ns prefork.walkthrough-test
  "The README's nREPL walkthrough, typed line for line into a real client: nREPL 1.0's nrepl.cmdline (Debian's
  jars from /usr/share/java when installed, else the same nREPL on this classpath), connected to dev/demo. The
  forms are read from README.md itself, so the README and this test cannot drift apart: each form must be one
  this test knows how to check."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]
            [prefork.mirror :as mirror]
            [prefork.test-support :refer [alive? await-until exchange worker-pids]]))

(defn- readme-forms
  "The source text of each top-level form in the README's first clojure block after \"## Two commands\"."
  []
  (let [readme (slurp "README.md")
        after (subs readme (str/index-of readme "## Two commands"))
        start (+ (str/index-of after "```clojure\n") (count "```clojure\n"))
        block (subs after start (str/index-of after "```" start))
        sources (atom [])]
    (binding [*ns* (the-ns 'user)]
      (doseq [_ (mirror/forms block 1 1 :allow #(swap! sources conj (:source %)))]))
    @sources))

(defn- client-classpath []
  (let [debian ["/usr/share/java/clojure-1.11.jar" "/usr/share/java/nrepl-1.0.0.jar"
                "/usr/share/java/spec.alpha.jar" "/usr/share/java/core.specs.alpha.jar"]]
    (if (every? #(.exists (io/file %)) debian)
      (str/join ":" debian)
      (->> (str/split (System/getProperty "java.class.path") #":")
           (filter #(re-find #"/(clojure|nrepl|spec\.alpha|core\.specs\.alpha)-[\d.]+\.jar$" %))
           (str/join ":")))))

(defn- start-client
  "nrepl.cmdline --connect as a subprocess; its output is collected by a thread."
  [port]
  (let [java (str (System/getProperty "java.home") "/bin/java")
        process (-> (ProcessBuilder. [java "-cp" (client-classpath) "clojure.main" "-m" "nrepl.cmdline"
                                      "--connect" "--host" "127.0.0.1" "--port" (str port)])
                    (.redirectErrorStream true)
                    (.start))
        output (StringBuffer.)
        reader (doto (Thread. #(let [in (io/reader (.getInputStream process))]
                                 (loop []
                                   (let [c (.read in)]
                                     (when (>= c 0) (.append output (char c)) (recur))))))
                 (.setDaemon true)
                 (.start))]
    {:process process :output output :mark (atom 0) :reader reader}))

(defn- until-prompt
  "Waits (at most `seconds`) until the client prints its next prompt, \"ns=> \" with nothing after it; returns
  what it printed since the last prompt (without the new one) and the prompt's namespace."
  [{:keys [^StringBuffer output mark]} seconds]
  (let [prompt #"(?s)(.*?)([\w.*+!?-]+)=> $"
        found (await-until seconds #(re-matches prompt (subs (str output) @mark)))]
    (when-not found
      (throw (ex-info (str "no prompt within " seconds " s; the client printed: " (subs (str output) @mark)) {})))
    (reset! mark (count (str output)))
    {:printed (nth found 1) :ns (nth found 2)}))

(defn- type-form [{:keys [^Process process]} source]
  (doto (.getOutputStream process)
    (.write (.getBytes (str source "\n") "UTF-8"))
    (.flush)))

(defn- read-line-within [^java.io.BufferedReader reader seconds]
  (deref (future (.readLine reader)) (* 1000 seconds) nil))

(defn- changed-by-pid
  "Connects until every pid in `wanted` has answered \"changed: hello (worker PID)\" (60 s at most); returns
  the set of pids that did, and fails on any other answer."
  [port wanted]
  (let [seen (atom #{})]
    (await-until 60 #(let [answer (exchange port "hello")
                           [_ pid] (re-matches #"changed: hello \(worker (\d+)\)" (str answer))]
                       (is pid (str "unexpected answer " (pr-str answer)))
                       (when pid (swap! seen conj (parse-long pid)))
                       (every? @seen wanted)))
    @seen))

(defn- check-form
  "Types one README form and checks what it must do; returns the updated context."
  [client source {:keys [port demo pids] :as context}]
  (type-form client source)
  (let [{:keys [printed ns]} (until-prompt client 120)]
    (cond
      (str/starts-with? source "(require '[prefork.repl :as p])")
      (do (is (not (str/includes? printed "prefork:")) printed) context)

      (= source "(p/workers)")
      (let [listed (set (map :pid (read-string printed)))]
        (is (= (worker-pids demo) listed) printed)
        (assoc context :pids listed))

      (str/starts-with? source "(in-ns 'prefork.examples.echo)")
      (do (is (= "prefork.examples.echo" ns)) context)

      (str/starts-with? source "(defn handle")
      (do (is (str/includes? printed (str "prefork: applied in " (count pids) " of " (count pids) " workers"))
              printed)
          (testing "every worker serves the new definition, proven per pid"
            (is (= pids (changed-by-pid port pids))))
          context)

      (str/starts-with? source "(prefork.repl/resize! {:min-servers 8})")
      (do (is (not (str/includes? printed "prefork:")) (str "a control call is not mirrored: " printed))
          (is (= 8 (:min-servers (read-string printed))))
          context)

      (= source "(println \"hello\")")
      (do (is (= "hello\nnil\n" printed) "printed once, by the manager")
          context)

      (= source "(prefork.repl/workers)")
      (do (is (<= (count pids) (count (read-string printed))))
          (testing "the workers that resize! started replayed the new definition before serving"
            (is (await-until 60 #(= 8 (count (worker-pids demo)))))
            (let [all (worker-pids demo)]
              (is (= all (changed-by-pid port all)))
              (assoc context :pids all))))

      (= source "(prefork.repl/reload!)")
      (do (testing "reload! replaces every worker with one running the code on disk"
            (is (await-until 120 #(let [now (worker-pids demo)]
                                    (and (= 8 (count now)) (not-any? pids now)))))
            (is (= (repeat 10 "hello") (repeatedly 10 #(exchange port "hello")))))
          context)

      :else (do (is false (str "the README's walkthrough has a form this test does not check: " source))
                context))))

(deftest the-readme-walkthrough-through-nrepl-cmdline
  (let [forms (readme-forms)
        demo (-> (ProcessBuilder. ["dev/demo" "--port" "0" "--nrepl-port" "0" "--min-servers" "3"])
                 (.redirectError (io/file "target/walkthrough-test.log"))
                 (.start))
        lines (io/reader (.getInputStream demo))
        client (atom nil)]
    (is (= 8 (count forms)) (pr-str forms))
    (try
      (let [listening (read-line-within lines 180)
            control (read-line-within lines 60)
            port (some->> listening (re-find #":(\d+)$") second parse-long)
            nrepl-port (some->> control (re-find #":(\d+) ") second parse-long)]
        (is (and port nrepl-port) (str listening " / " control))
        (reset! client (start-client nrepl-port))
        (is (= "user" (:ns (until-prompt @client 120))))
        (reduce (fn [context source] (check-form @client source context))
                {:port port :demo demo :pids #{}}
                forms)
        (testing "TERM stops the demo and its workers"
          (let [workers (worker-pids demo)]
            (.destroy demo)
            (is (.waitFor demo 60 java.util.concurrent.TimeUnit/SECONDS))
            (is (await-until 30 #(not-any? alive? workers))))))
      (finally
        (when-let [{:keys [^Process process]} @client]
          (.destroyForcibly process)
          (.waitFor process 10 java.util.concurrent.TimeUnit/SECONDS))
        (.destroyForcibly demo)
        (.waitFor demo 30 java.util.concurrent.TimeUnit/SECONDS)))))
