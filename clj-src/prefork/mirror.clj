(ns prefork.mirror
  "Which top-level forms typed at the control plane reach the workers: those that define or load code. A form
  is judged in the manager, in the namespace it is evaluated in, through macroexpansion, so that aliases and
  macros of your own that expand to a definition count. Also reads a message's code one top-level form at a
  time, keeping each form's source text and position, for prefork.nrepl."
  (:import (clojure.lang LineNumberingPushbackReader)
           (java.io StringReader)))

(set! *warn-on-reflection* true)

(def defining-vars
  "The macros and functions whose call defines or loads code, by fully-qualified name."
  '#{clojure.core/def clojure.core/defn clojure.core/defn- clojure.core/defmacro clojure.core/defmulti
     clojure.core/defmethod clojure.core/defonce clojure.core/defprotocol clojure.core/defrecord clojure.core/deftype
     clojure.core/definterface clojure.core/defstruct clojure.core/declare clojure.core/extend clojure.core/extend-type
     clojure.core/extend-protocol clojure.core/ns clojure.core/require clojure.core/use clojure.core/import
     clojure.core/refer clojure.core/refer-clojure clojure.core/alias clojure.core/load clojure.core/load-file
     clojure.core/intern clojure.core/prefer-method clojure.core/remove-method clojure.core/remove-all-methods
     clojure.core/gen-interface clojure.spec.alpha/def-impl})

(def ^:private defining-specials
  "Special forms that define: def, and what deftype, defrecord and import expand to."
  '#{def deftype* import*})

(def ^:private opaque-specials
  "Special forms whose insides are not run at the top level: quoted data and function bodies."
  '#{quote fn* reify* var})

(defn- head-var
  "The fully-qualified name of the var the head of `form` resolves to in *ns*, or nil."
  [form]
  (let [head (first form)]
    (when (symbol? head)
      (let [resolved (try (resolve head) (catch Exception _ nil))]
        (when (var? resolved) (symbol resolved))))))

(defn- expand-1 [form]
  (try (macroexpand-1 form) (catch Throwable _ form)))

(defn defines?
  "Whether the top-level `form`, evaluated in *ns*, defines or loads code: it is (or expands to) a call of one
  of `defining-vars` or a def, deftype* or import* special form, at the top level or nested in forms that run
  at the top level (do, let, if, try, calls), but not in quoted data or function bodies. A macro that throws
  while expanding counts as not defining (the evaluation reports the error)."
  [form]
  (loop [form form depth 0]
    (cond
      (vector? form) (boolean (some defines? form))
      (not (seq? form)) false
      (> depth 100) false
      (defining-specials (first form)) true
      (opaque-specials (first form)) false
      (defining-vars (head-var form)) true
      :else (let [expanded (expand-1 form)]
              (if (identical? expanded form)
                (boolean (some defines? (rest form)))
                (recur expanded (inc depth)))))))

(defn ns-form-target
  "The namespace a top-level (ns name ...) form names, resolved in *ns*; nil for any other form."
  [form]
  (when (and (seq? form) (= 'clojure.core/ns (head-var form)) (symbol? (second form)))
    (second form)))

(defn- line-starts
  "The offset in `text` at which each line starts: index 0 for line 1."
  [^String text]
  (into [0] (keep-indexed (fn [i c] (when (= c \newline) (inc i)))) text))

(defn- offset
  "The offset in the code of reader position (line, column), the code starting at (line0, column0)."
  [starts line0 column0 line column]
  (let [index (- line line0)]
    (if (< index (count starts))
      (+ (nth starts (max 0 index)) (- column (if (zero? index) column0 1)))
      Long/MAX_VALUE)))

(defn- set-column!
  "Sets the column of a LineNumberingPushbackReader, which has no setter (as nrepl.middleware.interruptible-eval)."
  [^LineNumberingPushbackReader reader column]
  (when-let [^java.lang.reflect.Field field (->> (.getDeclaredFields LineNumberingPushbackReader)
                                                 (filter #(= "_columnNumber" (.getName ^java.lang.reflect.Field %)))
                                                 first)]
    (.setAccessible field true)
    (.set field reader (int column))))

(defn- skip-blank!
  "Reads past whitespace, commas and ; comments, so that the reader stands where the next form starts."
  [^LineNumberingPushbackReader reader]
  (loop []
    (let [c (.read reader)]
      (cond (= c -1) nil
            (or (Character/isWhitespace (int c)) (= c (int \,))) (recur)
            (= c (int \;)) (do (loop [] (let [d (.read reader)] (when-not (or (= d -1) (= d (int \newline))) (recur))))
                               (recur))
            :else (.unread reader (int c))))))

(defn forms
  "The top-level forms of `code` (a string that starts at `line` and `column` of its file, default 1) as an
  Iterable for nREPL's eval, which reads the next form only after evaluating the previous one, so each is read
  with the *ns* and aliases the forms before left. Before handing a form over, calls (on-read {:source :line
  :column}) with its source text and position. A form that is nil or false is handed over as (do nil) or
  (do false), since eval takes a falsey item for the end. A read error ends the code. `read-cond` as for read."
  [^String code line column read-cond on-read]
  (let [line0 (long (or line 1))
        column0 (long (or column 1))
        starts (line-starts code)
        reader (doto (LineNumberingPushbackReader. (StringReader. code))
                 (.setLineNumber (int line0)))
        _ (when (not= 1 column0) (set-column! reader column0))
        ahead (volatile! ::unread)
        read-next (fn []
                    (skip-blank! reader)
                    (let [start-line (.getLineNumber reader)
                          start-column (.getColumnNumber reader)
                          form (try (read {:read-cond read-cond :eof ::eof} reader)
                                    (catch Throwable e (vreset! ahead ::eof) (throw e)))]
                      (when-not (= ::eof form)
                        (let [from (offset starts line0 column0 start-line start-column)
                              to (offset starts line0 column0 (.getLineNumber reader) (.getColumnNumber reader))]
                          (on-read {:source (subs code (min from (count code)) (min (max from to) (count code)))
                                    :line start-line :column start-column})))
                      (cond (nil? form) '(do nil)
                            (false? form) '(do false)
                            :else form)))]
    (reify Iterable
      (iterator [_]
        (reify java.util.Iterator
          (hasNext [_]
            (when (= ::unread @ahead) (vreset! ahead (read-next)))
            (not= ::eof @ahead))
          (next [this]
            (when-not (.hasNext this) (throw (java.util.NoSuchElementException.)))
            (let [form @ahead]
              (vreset! ahead ::unread)
              form)))))))

(defn padded
  "The source text with newlines and spaces before it, so that a worker reading it counts the lines and
  columns the manager counted (prefork.worker/evaluate skips them)."
  [{:keys [source line column]}]
  (str (apply str (repeat (dec (long (or line 1))) \newline))
       (apply str (repeat (dec (long (or column 1))) \space))
       source))
