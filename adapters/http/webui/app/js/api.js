// The API client. Every answer of the API is {"data": ...} (lists add
// next_cursor beside it) or an RFC 9457 problem document; request() returns
// the whole envelope and throws ApiError with the problem's detail.

/** An error answer of the API, or a failure to reach it. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || "";
    this.problem = problem || null;
  }

  /**
   * Whether the server has no such operation (yet): 404 for an unknown
   * path, 405 for a known path without that method. Callers ask this only
   * of collection endpoints, whose own answers are never 404.
   */
  get missing() {
    return this.status === 404 || this.status === 405;
  }
}

export class Api {
  /**
   * @param {string} base the API's base URL (".../api/v1")
   * @param {import("./session.js").Session} session
   */
  constructor(base, session) {
    this.base = base.replace(/\/+$/, "");
    this.session = session;
    this.refreshing = null;
    this.onSessionLost = () => {};
  }

  /** The absolute URL of an API path ("/stocks"). */
  url(path) {
    return this.base + path;
  }

  get(path, opts) {
    return this.request("GET", path, undefined, opts);
  }

  post(path, body, opts) {
    return this.request("POST", path, body ?? {}, opts);
  }

  patch(path, body, opts) {
    return this.request("PATCH", path, body, opts);
  }

  /**
   * Sends a request. With auth (the default) it carries the access token
   * and, when that has expired, trades the refresh token for a new pair
   * once and retries.
   */
  async request(method, path, body, { auth = true } = {}) {
    let res = await this.send(method, path, body, auth);
    if (res.status === 401 && auth && this.session.refreshToken) {
      if (await this.refresh()) {
        res = await this.send(method, path, body, auth);
      } else {
        this.onSessionLost();
      }
    }
    return this.read(res);
  }

  async send(method, path, body, auth) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.session.accessToken) headers.Authorization = "Bearer " + this.session.accessToken;
    try {
      return await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, { detail: String(err.message || err) });
    }
  }

  async read(res) {
    const text = await res.text();
    let doc = null;
    if (text) {
      try {
        doc = JSON.parse(text);
      } catch {
        doc = { detail: text.slice(0, 200) };
      }
    }
    if (!res.ok) throw new ApiError(res.status, doc);
    return doc ?? {};
  }

  /**
   * Trades the refresh token for a new pair. Concurrent callers share one
   * exchange: refresh tokens rotate, so a second exchange of the same
   * token would be refused as a reuse.
   */
  refresh() {
    if (!this.refreshing) {
      const token = this.session.refreshToken;
      this.refreshing = this.send("POST", "/auth/refresh", { refresh_token: token }, false)
        .then(async (res) => {
          if (!res.ok) return false;
          const doc = await res.json();
          this.session.save(doc.data);
          return true;
        })
        .catch(() => false)
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }
}
