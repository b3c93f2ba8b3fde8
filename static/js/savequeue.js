// Pending saves of annotation marks: kept in localStorage so that nothing is dropped, sent one
// at a time, retried with exponential backoff, flushed again when the browser is back online.

const MAX_DELAY_MS = 30000;

export class SaveQueue {
  // options: {storageKey, csrf, url, onSaved(sid, annotation|null), onConflict(sid, current, detail),
  //           onRejected(sid, errors), onChange(summary)}
  constructor(options) {
    Object.assign(this, options);
    this.pending = new Map(); // sentence id -> {desired: payload|null, id, version}
    this.inflight = new Set();
    this.attempt = 0;
    this.timer = null;
    this.retryAt = null;
    this.lastError = "";
    this.load();
    window.addEventListener("online", () => this.flush(true));
  }

  load() {
    try {
      const stored = JSON.parse(localStorage.getItem(this.storageKey) || "{}");
      for (const [sid, entry] of Object.entries(stored)) this.pending.set(Number(sid), entry);
    } catch (error) {
      this.pending.clear();
    }
  }

  persist() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(Object.fromEntries(this.pending)));
    } catch (error) {
      // Storage full or disabled: the queue still lives in memory for this page.
    }
  }

  // Queue the value a sentence should have (desired null deletes the mark).
  set(sid, entry) {
    this.pending.set(sid, entry);
    this.persist();
    this.flush();
  }

  get size() {
    return this.pending.size;
  }

  summary() {
    return {
      pending: this.pending.size, inflight: this.inflight.size, error: this.lastError,
      retryInMs: this.retryAt ? Math.max(0, this.retryAt - Date.now()) : null,
    };
  }

  changed() {
    if (this.onChange) this.onChange(this.summary());
  }

  flush(now = false) {
    if (now && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.retryAt = null;
    }
    if (this.timer) return; // waiting for the backoff to pass
    // One request at a time, oldest change first: keeps the order of a reviewer's changes and
    // spares the database concurrent writes of one user.
    if (!this.inflight.size) {
      const sid = this.pending.keys().next().value;
      if (sid !== undefined) this.send(sid);
    }
    this.changed();
  }

  // Resolves once nothing is pending or in flight (or rejects after `timeoutMs`).
  drained(timeoutMs = 15000) {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.pending.size && !this.inflight.size) resolve();
        else if (Date.now() - started > timeoutMs) reject(new Error("changes are still waiting to be saved"));
        else setTimeout(check, 50);
      };
      check();
    });
  }

  async request(method, url, body, version = null) {
    const headers = { "X-CSRFToken": this.csrf, Accept: "application/json" };
    if (version) headers["If-Match"] = `"${version}"`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    if (response.status !== 204) {
      try {
        payload = await response.json();
      } catch (error) {
        payload = null;
      }
    }
    return { status: response.status, payload };
  }

  async send(sid) {
    const entry = this.pending.get(sid);
    this.inflight.add(sid);
    this.changed();
    let outcome = "retry";
    try {
      let result;
      if (entry.desired === null) {
        result = entry.id ? await this.request("DELETE", `${this.url}${entry.id}/`, undefined, entry.version) : { status: 204 };
        if (result.status === 404) result.status = 204; // already gone: the wish is fulfilled
      } else if (!entry.id) {
        result = await this.request("POST", this.url, { ...entry.desired, sentence: sid });
      } else {
        result = await this.request("PATCH", `${this.url}${entry.id}/`, { ...entry.desired, version: entry.version });
      }
      outcome = this.settle(sid, entry, result);
    } catch (error) {
      this.lastError = "network";
    } finally {
      this.inflight.delete(sid);
    }
    this.persist();
    if (outcome === "retry") this.backoff();
    else this.flush();
    this.changed();
  }

  settle(sid, entry, { status, payload }) {
    const newer = this.pending.get(sid) !== entry;
    if (status >= 200 && status < 300) {
      const saved = entry.desired === null ? null : payload;
      if (newer) {
        const next = this.pending.get(sid);
        next.id = saved ? saved.id : null;
        next.version = saved ? saved.version : null;
      } else {
        this.pending.delete(sid);
      }
      this.attempt = 0;
      this.lastError = "";
      this.onSaved(sid, saved);
      return "done";
    }
    if ((status === 409 || status === 412) && payload && "current" in payload) {
      // Someone (another tab, an import) changed the mark: adopt theirs and say so.
      this.pending.delete(sid);
      this.onConflict(sid, payload.current, payload.detail || "changed elsewhere");
      return "done";
    }
    if (status === 400 || status === 404 || status === 422) {
      this.pending.delete(sid);
      this.onRejected(sid, payload || { detail: `refused (HTTP ${status})` });
      return "done";
    }
    this.lastError = status === 401 || status === 403 ? "auth" : `HTTP ${status}`;
    return "retry";
  }

  backoff() {
    if (this.timer) return;
    const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryAt = null;
      this.flush();
    }, delay);
  }
}
