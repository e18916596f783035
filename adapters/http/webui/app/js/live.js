// Live updates. The server may offer Server-Sent Events at /stream (a
// single-use ticket from POST /stream/ticket goes in the query, since
// EventSource cannot send an Authorization header); where it answers 404
// the app polls instead. Views never know which: they subscribe to the
// same three kinds of update either way.
//
//   quotes  — a list of listings (polling) or one listing (stream)
//   order   — one order whose status or fills changed (stream), or null
//             meaning "reload the orders" (polling)
//   balance — the new balance (stream), or null meaning "reload it"

import { ApiError } from "./api.js";

/** How often polling refreshes, in milliseconds. */
export const POLL_INTERVAL = 2000;

export class Live {
  /** @param {import("./api.js").Api} api */
  constructor(api) {
    this.api = api;
    this.handlers = { quotes: new Set(), order: new Set(), balance: new Set(), mode: new Set() };
    this.mode = "off";
    this.timer = null;
    this.source = null;
    this.failures = 0;
    this.signedIn = false;
    // Bumped by every start and stop, so that a reconnect scheduled before
    // a logout does not open a stream after it.
    this.generation = 0;
  }

  /** Subscribes fn to one kind of update: quotes, order, balance or mode. */
  on(kind, fn) {
    this.handlers[kind].add(fn);
  }

  emit(kind, value) {
    for (const fn of this.handlers[kind]) {
      try {
        fn(value);
      } catch (err) {
        console.error(err);
      }
    }
  }

  setMode(mode) {
    if (this.mode !== mode) {
      this.mode = mode;
      this.emit("mode", mode);
    }
  }

  /**
   * Starts (or restarts, after a login) the updates: the event stream
   * when the server has one, else polling.
   */
  async start(signedIn) {
    this.stop();
    this.signedIn = signedIn;
    const gen = this.generation;
    // The stream sends changes only: the listings come from one read.
    await this.loadQuotes();
    if (gen !== this.generation) return;
    if (signedIn && (await this.openStream(gen))) return;
    if (gen === this.generation) this.startPolling();
  }

  stop() {
    this.generation++;
    this.lastEventId = "";
    clearInterval(this.timer);
    this.timer = null;
    if (this.source) {
      this.source.close();
      this.source = null;
    }
    this.setMode("off");
  }

  /** Asks for a ticket and opens the stream; false when there is none. */
  async openStream(gen) {
    let ticket;
    try {
      ticket = (await this.api.post("/stream/ticket", {})).data?.ticket;
    } catch (err) {
      if (!(err instanceof ApiError) || !err.missing) console.warn("stream ticket:", err.message);
      return false;
    }
    if (!ticket || gen !== this.generation) return false;
    const url = new URL(this.api.url("/stream"), location.href);
    url.searchParams.set("ticket", ticket);
    // Quotes of every listing: the quote board shows them all.
    url.searchParams.set("codes", "*");
    // A new connection resumes where the last one stopped: the server
    // replays the order events missed in between.
    if (this.lastEventId) url.searchParams.set("last_event_id", this.lastEventId);
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener("open", () => {
      const reconnected = this.failures > 0;
      this.failures = 0;
      this.setMode("stream");
      if (reconnected) {
        // A new connection cannot resume the old one (a ticket is good for
        // one), so what changed meanwhile is read again.
        this.loadQuotes();
        this.emit("order", null);
        this.emit("balance", null);
      }
    });
    const track = (ev) => {
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      return JSON.parse(ev.data);
    };
    source.addEventListener("quote", (ev) => this.emit("quotes", [track(ev)]));
    source.addEventListener("order", (ev) => this.emit("order", track(ev)));
    source.addEventListener("balance", (ev) => this.emit("balance", track(ev)));
    source.addEventListener("error", () => {
      // A ticket is good for one connection: EventSource's own reconnect
      // would reuse it and be refused. Start over with a new one, and poll
      // after repeated failures.
      source.close();
      if (this.source !== source) return;
      this.source = null;
      this.failures++;
      if (this.failures >= 3) {
        this.startPolling();
        return;
      }
      setTimeout(() => {
        if (gen === this.generation && this.source === null && this.mode !== "poll") {
          this.openStream(gen).then((ok) => ok || gen !== this.generation || this.startPolling());
        }
      }, 1000 * this.failures);
    });
    // The stream replaces polling once it opens; until then (and if it
    // never does) the views keep what they loaded.
    return true;
  }

  startPolling() {
    clearInterval(this.timer);
    this.setMode("poll");
    this.timer = setInterval(() => this.poll(), POLL_INTERVAL);
  }

  async loadQuotes() {
    try {
      const stocks = await this.api.get("/stocks", { auth: false });
      this.emit("quotes", stocks.data || []);
    } catch (err) {
      console.warn("loading quotes:", err.message);
    }
  }

  async poll() {
    // A hidden tab needs no fresh numbers; it catches up when shown.
    if (document.hidden) return;
    await this.loadQuotes();
    if (this.signedIn) {
      this.emit("order", null);
      this.emit("balance", null);
    }
  }
}
