// The top-up tab: a virtual-cash top-up through PortOne's browser flow.
// The server prepares the payment (fixing amount and product), the browser
// goes to the payment window in the same tab, the window sends it back
// with paymentId in the URL, and the server verifies the payment with
// PortOne before anything is credited. In development the window is the
// fake PortOne's checkout page on this server (config.json checkout_url).

import { h, byId, replace, say } from "../dom.js";
import { t, label, onLanguageChange } from "../i18n.js";
import { money, dateTime } from "../format.js";
import { parseWon } from "../krx.js";

const MIN = 1000n;
const MAX = 1000000n;
/** Statuses PortOne may still change; anything else is final. */
const OPEN = new Set(["PREPARED", "AWAITING_DEPOSIT"]);

export function mountWallet(ctx) {
  const form = byId("topup");
  const amount = byId("topup-amount");
  const submit = byId("topup-submit");
  const msg = byId("topup-msg");
  const list = byId("payments");
  let payments;

  const checkout = ctx.config.checkout_url ? new URL(ctx.config.checkout_url, location.href) : null;
  if (!checkout) {
    submit.disabled = true;
    amount.disabled = true;
    say(msg, t("wallet.unavailable"), "info");
    msg.dataset.i18n = "wallet.unavailable";
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkout) return;
    const won = parseWon(amount.value);
    if (won === null || won < MIN || won > MAX) {
      say(msg, t("wallet.err.amount"), "error");
      return;
    }
    submit.disabled = true;
    try {
      const p = (
        await ctx.api.post("/payments/portone/prepare", {
          amount: Number(won),
          order_name: t("wallet.orderName"),
          currency: "KRW",
        })
      ).data;
      const back = new URL(location.pathname, location.href);
      back.searchParams.set("topup", "1");
      back.hash = "#/wallet";
      const url = new URL(checkout);
      url.searchParams.set("paymentId", p.payment_id);
      url.searchParams.set("amount", String(p.total_amount));
      url.searchParams.set("orderName", p.order_name);
      url.searchParams.set("currency", p.currency);
      url.searchParams.set("redirectUrl", back.href);
      location.assign(url.href);
    } catch (err) {
      say(msg, err.message, "error");
      submit.disabled = false;
    }
  });

  /**
   * Finishes a payment the window sent the browser back for. What the
   * window said (code, message) is shown but not trusted: the status is
   * the server's, verified with PortOne.
   */
  async function finish(params) {
    const id = params.get("paymentId");
    const windowSaid = params.get("code") ? t("wallet.windowSaid", { message: params.get("message") || params.get("code") }) : "";
    say(msg, t("wallet.checking", { id }), "info");
    let p;
    try {
      p = (await ctx.api.post("/payments/portone/complete", { payment_id: id })).data;
      // PortOne may report the payment a moment after the window closed.
      for (let i = 0; i < 5 && p.status === "PREPARED"; i++) {
        await new Promise((r) => setTimeout(r, 1500));
        p = (await ctx.api.get("/payments/" + encodeURIComponent(id))).data;
      }
    } catch (err) {
      say(msg, [windowSaid, err.message].filter(Boolean).join(" "), "error");
      return;
    }
    const text = t("wallet.result", { id, status: label("pay", p.status) });
    say(msg, [text, windowSaid].filter(Boolean).join(" "), p.status === "PAID" ? "ok" : OPEN.has(p.status) ? "info" : "error");
    msg.dataset.status = p.status;
    msg.dataset.paymentId = id;
    ctx.changed();
    load();
  }

  function render() {
    if (payments === undefined) return;
    if (!payments.length) return replace(list, h("p", { class: "empty" }, t("wallet.none")));
    replace(
      list,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, t("wallet.created")), h("th", { class: "num" }, t("wallet.paid")), h("th", { class: "num" }, t("wallet.credit")), h("th", {}, t("wallet.status"))),
        ),
        h(
          "tbody",
          {},
          payments.map((p) =>
            h(
              "tr",
              { dataset: { paymentId: p.payment_id, status: p.status } },
              h("td", { class: "small" }, dateTime(p.created_at)),
              h("td", { class: "num" }, money(p.amount)),
              h("td", { class: "num" }, money(p.credit_amount)),
              h("td", { title: p.reason || "" }, label("pay", p.status)),
            ),
          ),
        ),
      ),
    );
  }

  async function load() {
    try {
      payments = (await ctx.api.get("/payments?limit=20")).data || [];
      render();
    } catch (err) {
      if (err.status === 503) return replace(list, h("p", { class: "empty" }, err.message));
      ctx.notify(err.message, "error");
    }
  }

  onLanguageChange(render);

  return { load, finish };
}
