// The trade tab's market list and order ticket. The ticket shows the tick
// size and the day's band of the chosen listing and refuses a quantity or
// limit price the exchange would refuse, before anything is sent.

import { h, byId, replace, say } from "../dom.js";
import { t, label, onLanguageChange } from "../i18n.js";
import { money, signedMoney, percent, moveClass } from "../format.js";
import { checkLimitPrice, parseQuantity, parseWon, tickSize } from "../krx.js";

export function mountTrade(ctx) {
  const tbody = byId("quotes").tBodies[0];
  const filter = byId("quote-filter");
  const form = byId("ticket");
  const select = byId("ticket-stock");
  const qty = byId("ticket-qty");
  const price = byId("ticket-price");
  const tif = byId("ticket-tif");
  const msg = byId("ticket-msg");
  const mode = byId("live-mode");
  const last = new Map(); // code → price shown, to flash changes
  let selected = "";

  function renderQuotes() {
    const q = filter.value.trim().toLowerCase();
    const rows = [];
    for (const s of [...ctx.stocks.values()].sort((a, b) => a.code.localeCompare(b.code))) {
      if (q && !`${s.code} ${s.name} ${s.name_en || ""}`.toLowerCase().includes(q)) continue;
      const cls = moveClass(s.change);
      const prev = last.get(s.code);
      const flash = prev !== undefined && prev !== s.price ? " flash" : "";
      last.set(s.code, s.price);
      rows.push(
        h(
          "tr",
          {
            dataset: { code: s.code },
            class: (s.code === selected ? "selected" : "") + flash,
            onclick: () => choose(s.code),
          },
          h("td", { class: "code" }, s.code),
          h("td", {}, ctx.lang() === "en" && s.name_en ? s.name_en : s.name),
          h("td", { class: "num " + cls, dataset: { field: "price" } }, money(s.price)),
          h("td", { class: "num " + cls }, signedMoney(s.change)),
          h("td", { class: "num " + cls }, percent(s.change_rate)),
        ),
      );
    }
    replace(tbody, rows);
  }

  function renderOptions() {
    const codes = [...ctx.stocks.keys()].sort();
    const have = [...select.options].map((o) => o.value);
    if (have.join() === codes.join()) return;
    replace(
      select,
      codes.map((c) => {
        const s = ctx.stocks.get(c);
        return h("option", { value: c }, `${c} ${s.name}`);
      }),
    );
    if (!selected && codes.length) selected = codes.includes("005930") ? "005930" : codes[0];
    select.value = selected;
  }

  function choose(code) {
    selected = code;
    select.value = code;
    const s = ctx.stocks.get(code);
    // A fresh choice starts from the current price, which is on the grid.
    if (s) price.value = s.price;
    say(msg, "");
    renderQuotes();
    renderInfo();
  }

  function isLimit() {
    return form.elements.type.value === "LIMIT";
  }

  function renderInfo() {
    for (const el of form.querySelectorAll("[data-limit-only]")) el.hidden = !isLimit();
    const s = ctx.stocks.get(selected);
    if (!s) return;
    byId("ticket-current").textContent = money(s.price);
    byId("ticket-prev").textContent = money(s.prev_close);
    byId("ticket-band").textContent = `${money(s.lower_limit)} ~ ${money(s.upper_limit)}`;
    // The tick that counts is the one at the price being typed; it differs
    // from the listing's own when the price crosses a range boundary.
    const typed = isLimit() ? parseWon(price.value) : null;
    const at = typed && typed > 0n ? typed : parseWon(s.price);
    byId("ticket-tick").textContent = at ? money(tickSize(at).toString()) : money(s.tick_size);
    const q = parseQuantity(qty.value);
    const p = isLimit() ? typed : parseWon(s.price);
    byId("ticket-estimate").textContent = q && p ? money((q * p).toString()) : "–";
  }

  /** The order to send, or an error message and its reason. */
  function validate() {
    const s = ctx.stocks.get(selected);
    if (!s) return { error: t("ticket.err.stock"), reason: "stock" };
    const q = parseQuantity(qty.value);
    if (q === null) return { error: t("ticket.err.quantity"), reason: "quantity" };
    const order = {
      stock_code: s.code,
      side: form.elements.side.value,
      type: form.elements.type.value,
      quantity: Number(q),
      client_order_id: clientOrderID(),
    };
    if (!isLimit()) return { order };
    const c = checkLimitPrice(price.value, s);
    if (!c.ok) {
      const vars = { price: money(price.value.replace(/[,\s]/g, "")) };
      switch (c.reason) {
        case "format":
          return { error: t("ticket.err.format"), reason: "format" };
        case "band":
          return { error: t("ticket.err.band", { ...vars, lower: money(c.lower.toString()), upper: money(c.upper.toString()) }), reason: "band" };
        default: {
          const near = [c.below, c.above].filter((p) => p !== null).map((p) => money(p.toString()));
          const tick = money(c.tick.toString());
          const text =
            near.length === 2
              ? t("ticket.err.gridTwo", { ...vars, tick, below: near[0], above: near[1] })
              : t("ticket.err.grid", { ...vars, tick, near: near[0] ?? "–" });
          return { error: text, reason: "grid" };
        }
      }
    }
    order.limit_price = c.price.toString();
    order.time_in_force = tif.value;
    return { order };
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // The message of the previous order must not pass for this one's.
    say(msg, "");
    for (const k of ["reason", "status", "orderId"]) delete msg.dataset[k];
    const v = validate();
    if (v.error) {
      say(msg, v.error, "error");
      msg.dataset.reason = v.reason;
      return;
    }
    const button = byId("ticket-submit");
    button.disabled = true;
    try {
      const o = (await ctx.api.post("/orders", v.order)).data;
      say(
        msg,
        t("ticket.placed", { status: label("status", o.status), side: label("side", o.side), qty: o.quantity, code: o.stock_code }),
        o.status === "REJECTED" ? "error" : "ok",
      );
      msg.dataset.status = o.status;
      msg.dataset.orderId = o.id;
      ctx.changed();
    } catch (err) {
      say(msg, err.message, "error");
      msg.dataset.reason = "server";
    } finally {
      button.disabled = false;
    }
  });

  select.addEventListener("change", () => choose(select.value));
  form.addEventListener("input", renderInfo);
  form.addEventListener("change", renderInfo);
  filter.addEventListener("input", renderQuotes);

  ctx.live.on("quotes", () => {
    const first = !selected;
    renderOptions();
    if (first && selected) {
      choose(selected);
      return;
    }
    renderQuotes();
    renderInfo();
  });
  ctx.live.on("mode", (m) => {
    mode.dataset.mode = m;
    mode.textContent = m === "stream" ? t("quotes.stream") : m === "poll" ? t("quotes.polling", { s: 2 }) : "";
  });
  onLanguageChange(() => {
    renderQuotes();
    mode.textContent = mode.dataset.mode === "stream" ? t("quotes.stream") : mode.dataset.mode === "poll" ? t("quotes.polling", { s: 2 }) : "";
  });
}

/**
 * A fresh client_order_id per submission, so a request the network
 * repeated is placed once. crypto.randomUUID needs a secure context, which
 * a LAN address over plain HTTP is not; getRandomValues works everywhere.
 */
function clientOrderID() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return "web-" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}
