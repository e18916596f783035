// The signed-in session: the token pair and the user. It lives in
// sessionStorage, which keeps it across the round trip through the payment
// window in the same tab and forgets it when the tab closes; it is never
// written to localStorage or a cookie.

const KEY = "stocking.session";

export class Session {
  constructor() {
    this.data = null;
    try {
      this.data = JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch {
      this.data = null;
    }
    this.listeners = new Set();
  }

  get signedIn() {
    return Boolean(this.data && this.data.access_token);
  }

  get accessToken() {
    return this.data?.access_token || "";
  }

  get refreshToken() {
    return this.data?.refresh_token || "";
  }

  get user() {
    return this.data?.user || null;
  }

  /** Stores what signup, login and refresh answer (data of the envelope). */
  save(tokens) {
    this.data = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      user: tokens.user || this.data?.user || null,
    };
    sessionStorage.setItem(KEY, JSON.stringify(this.data));
    this.emit();
  }

  clear() {
    this.data = null;
    sessionStorage.removeItem(KEY);
    this.emit();
  }

  /** Calls fn whenever the session starts, changes or ends. */
  onChange(fn) {
    this.listeners.add(fn);
  }

  emit() {
    for (const fn of this.listeners) fn(this);
  }
}
