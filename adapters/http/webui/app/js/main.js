// Starts the app: reads config.json (where the API and the payment window
// are), restores the session, and wires the tabs, the live updates and the
// sign-in forms together.

import { Api } from "./api.js";
import { Session } from "./session.js";
import { Live } from "./live.js";
import { h, byId, say } from "./dom.js";
import { t, lang, apply, setLanguage } from "./i18n.js";
import { money } from "./format.js";
import { mountTrade } from "./views/trade.js";
import { mountOrders } from "./views/orders.js";
import { mountPortfolio } from "./views/portfolio.js";
import { mountLedger } from "./views/ledger.js";
import { mountRankings } from "./views/rankings.js";
import { mountWallet } from "./views/wallet.js";

const TABS = ["trade", "portfolio", "ledger", "rankings", "wallet"];

async function loadConfig() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (res.ok) return await res.json();
  } catch {
    // Served without the Go handler (a static copy): use the defaults.
  }
  return { api_base: "../api/v1", checkout_url: "" };
}

const config = await loadConfig();
const session = new Session();
const api = new Api(new URL(config.api_base || "../api/v1", location.href).href, session);
const live = new Live(api);
const notice = byId("notice");
let noticeTimer = null;
let tab = "trade";

const ctx = {
  api,
  session,
  live,
  config,
  lang,
  /** Listings by code, kept current by the live updates. */
  stocks: new Map(),
  /** Shows a short message under the header. */
  notify(text, kind = "info") {
    say(notice, text, kind);
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => say(notice, ""), kind === "error" ? 8000 : 5000);
  },
  /** Whether a tab is the one on screen. */
  visible(name) {
    return session.signedIn && tab === name && !document.hidden;
  },
  /** Shows the available cash beside the user's name. */
  showCash(balance) {
    byId("whoami").dataset.cash = balance.available_cash;
    renderWho(balance);
  },
  /** Reloads what an order or a payment may have changed. */
  changed({ orders: reloadOrders = true } = {}) {
    if (reloadOrders && tab === "trade") views.orders.load();
    views.portfolio.loadBalance();
    if (tab === "portfolio") views.portfolio.load();
    if (tab === "ledger") views.ledger.load();
  },
};

live.on("quotes", (list) => {
  for (const s of list) {
    const code = s.code || s.stock_code;
    if (code) ctx.stocks.set(code, { ...ctx.stocks.get(code), ...s, code });
  }
});

const views = {
  trade: mountTrade(ctx),
  orders: mountOrders(ctx),
  portfolio: mountPortfolio(ctx),
  ledger: mountLedger(ctx),
  rankings: mountRankings(ctx),
  wallet: mountWallet(ctx),
};

function renderWho(balance) {
  const who = byId("whoami");
  who.replaceChildren();
  if (!session.signedIn) return;
  who.append(h("strong", {}, session.user?.nickname || ""));
  const cash = balance?.available_cash ?? who.dataset.cash;
  if (cash !== undefined) who.append(" · ", h("span", { dataset: { field: "available" } }, money(cash) + " ₩"));
}

/** Shows the tab the URL names (#/portfolio), loading its data. */
function route() {
  const name = location.hash.replace(/^#\/?/, "") || "trade";
  tab = TABS.includes(name) ? name : "trade";
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.tab === tab);
  for (const n of TABS) byId("tab-" + n).hidden = !session.signedIn || n !== tab;
  if (!session.signedIn) return;
  if (tab === "trade") views.orders.load();
  if (tab === "portfolio") views.portfolio.load();
  if (tab === "ledger") views.ledger.load();
  if (tab === "rankings") views.rankings.load();
  if (tab === "wallet") views.wallet.load();
}

function renderSession() {
  const signedIn = session.signedIn;
  byId("auth-view").hidden = signedIn;
  byId("nav").hidden = !signedIn;
  byId("logout").hidden = !signedIn;
  renderWho();
  route();
}

async function signIn(form, path, fields) {
  const err = form.querySelector("[data-role=error]");
  say(err, "");
  const body = {};
  for (const f of fields) body[f] = form.elements[f].value.trim();
  body.password = form.elements.password.value; // spaces count in a password
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const res = await api.post(path, body, { auth: false });
    form.reset();
    session.save(res.data);
    await start();
  } catch (e) {
    say(err, e.message, "error");
  } finally {
    button.disabled = false;
  }
}

async function start() {
  renderSession();
  if (!session.signedIn) {
    live.stop();
    return;
  }
  await live.start(true);
  views.portfolio.loadBalance();
}

byId("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  signIn(ev.currentTarget, "/auth/login", ["email", "password"]);
});
byId("signup-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  signIn(ev.currentTarget, "/auth/signup", ["email", "password", "nickname"]);
});
for (const b of document.querySelectorAll("#auth-view [data-show]")) {
  b.addEventListener("click", () => {
    for (const f of document.querySelectorAll("#auth-view form")) f.hidden = f.id !== b.dataset.show;
  });
}
byId("logout").addEventListener("click", async () => {
  const refresh = session.refreshToken;
  session.clear();
  views.orders.reset();
  // Servers that revoke refresh tokens take this; older ones answer 404,
  // and forgetting the tokens is all that can be done.
  api.post("/auth/logout", { refresh_token: refresh }, { auth: false }).catch(() => {});
  await start();
});
byId("lang-toggle").addEventListener("click", () => setLanguage(lang() === "ko" ? "en" : "ko"));
api.onSessionLost = () => {
  session.clear();
  ctx.notify(t("auth.expired"), "error");
  start();
};
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) route();
});

apply();
await start();

// Back from the payment window: finish the top-up, then tidy the URL so a
// reload does not verify it again.
const params = new URLSearchParams(location.search);
if (params.get("topup") && params.get("paymentId") && session.signedIn) {
  history.replaceState(null, "", location.pathname + "#/wallet");
  route();
  views.wallet.finish(params);
}
document.body.dataset.ready = "true";
