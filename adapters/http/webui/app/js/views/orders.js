// The trade tab's order list: every recent order with its fills, and for
// resting ones a cancel button and a modify (정정) form.

import { h, byId, replace, say } from "../dom.js";
import { t, label, onLanguageChange } from "../i18n.js";
import { money, dateTime } from "../format.js";
import { checkLimitPrice, parseQuantity } from "../krx.js";

const OPEN = new Set(["PENDING", "PARTIALLY_FILLED"]);

export function mountOrders(ctx) {
  const tbody = byId("orders").tBodies[0];
  const msg = byId("orders-msg");
  let orders = [];
  let known = null; // id → filled_quantity seen, to announce new fills
  let editing = null; // {id, row}: the open modify form survives refreshes
  let loading = null;

  async function load() {
    if (loading) return loading;
    loading = ctx.api
      .get("/orders?limit=50")
      .then((res) => {
        orders = res.data || [];
        announceFills();
        render();
      })
      .catch((err) => say(msg, err.message, "error"))
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  /** Tells the user about fills that arrived since the last look. */
  function announceFills() {
    const next = new Map(orders.map((o) => [o.id, o.filled_quantity]));
    if (known) {
      for (const o of orders) {
        const before = known.get(o.id);
        if (before !== undefined && o.filled_quantity > before) {
          ctx.notify(
            t("orders.filledNote", {
              side: label("side", o.side),
              qty: o.filled_quantity - before,
              code: o.stock_code,
              price: money(o.average_fill_price),
            }),
            "ok",
          );
          ctx.changed({ orders: false });
        }
      }
    }
    known = next;
  }

  function upsert(order) {
    const i = orders.findIndex((o) => o.id === order.id);
    if (i >= 0) orders[i] = order;
    else orders.unshift(order);
    announceFills();
    render();
  }

  function render() {
    const rows = [];
    for (const o of orders) {
      const open = OPEN.has(o.status);
      rows.push(
        h(
          "tr",
          { dataset: { orderId: o.id, status: o.status } },
          h("td", { class: "small" }, dateTime(o.created_at)),
          h("td", { class: "code" }, o.stock_code),
          h("td", { class: o.side === "BUY" ? "up" : "down" }, label("side", o.side)),
          h("td", {}, label("type", o.type), o.time_in_force ? h("span", { class: "muted small" }, " " + o.time_in_force) : null),
          h("td", { class: "num" }, o.quantity),
          h("td", { class: "num" }, o.limit_price ? money(o.limit_price) : "–"),
          h("td", { class: "num" }, o.filled_quantity),
          h("td", { class: "num" }, o.average_fill_price ? money(o.average_fill_price) : "–"),
          h("td", { class: "status", dataset: { field: "status" }, title: o.reason || "" }, label("status", o.status)),
          h(
            "td",
            { class: "actions" },
            open ? h("button", { type: "button", dataset: { action: "cancel" }, onclick: () => cancel(o) }, t("orders.cancel")) : null,
            open && o.type === "LIMIT" ? h("button", { type: "button", dataset: { action: "modify" }, onclick: () => openModify(o) }, t("orders.modify")) : null,
          ),
        ),
      );
      if (editing && editing.id === o.id) {
        if (open) rows.push(editing.row);
        else editing = null;
      }
    }
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 10, class: "empty" }, t("orders.empty"))));
    replace(tbody, rows);
  }

  async function cancel(o) {
    say(msg, "");
    try {
      upsert((await ctx.api.post(`/orders/${encodeURIComponent(o.id)}/cancel`, {})).data);
      say(msg, t("orders.cancelled"), "ok");
      ctx.changed({ orders: false });
    } catch (err) {
      say(msg, err.message, "error");
      load();
    }
  }

  function openModify(o) {
    const stock = () => ctx.stocks.get(o.stock_code) || {};
    const form = h("form", { class: "modify", method: "post", novalidate: true, dataset: { orderId: o.id } });
    const qty = h("input", { name: "quantity", inputmode: "numeric", value: String(o.quantity), autocomplete: "off" });
    const price = h("input", { name: "limit_price", inputmode: "numeric", value: o.limit_price || "", autocomplete: "off" });
    const note = h("p", { class: "msg", role: "alert", hidden: true });
    replace(
      form,
      h("label", {}, h("span", {}, t("ticket.quantity")), qty),
      h("label", {}, h("span", {}, t("ticket.price")), price),
      h("button", { type: "submit", class: "primary" }, t("orders.send")),
      h("button", { type: "button", class: "link", onclick: close }, t("orders.close")),
      note,
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // Only what changed is sent: keeping the price and lowering the
      // quantity keeps the order's place in the queue.
      const body = {};
      const q = parseQuantity(qty.value);
      if (q === null) return say(note, t("ticket.err.quantity"), "error");
      if (Number(q) !== o.quantity) body.quantity = Number(q);
      const c = checkLimitPrice(price.value, stock());
      if (!c.ok) {
        const text =
          c.reason === "band"
            ? t("ticket.err.band", { price: money(price.value), lower: money(c.lower.toString()), upper: money(c.upper.toString()) })
            : c.reason === "grid"
              ? t("ticket.err.grid", { price: money(price.value), tick: money(c.tick.toString()), near: [c.below, c.above].filter((p) => p !== null).map((p) => money(p.toString())).join(" / ") })
              : t("ticket.err.format");
        return say(note, text, "error");
      }
      if (c.price.toString() !== String(o.limit_price)) body.limit_price = c.price.toString();
      if (!Object.keys(body).length) return say(note, t("orders.nothingChanged"), "error");
      try {
        const updated = (await ctx.api.patch(`/orders/${encodeURIComponent(o.id)}`, body)).data;
        editing = null;
        upsert(updated);
        say(msg, t("orders.modified"), "ok");
        ctx.changed({ orders: false });
      } catch (err) {
        // A refused change (final, below the filled quantity, not
        // enough cash) shows the server's problem detail.
        say(note, err.message, "error");
      }
    });
    function close() {
      editing = null;
      render();
    }
    editing = { id: o.id, row: h("tr", { class: "editor" }, h("td", { colspan: 10 }, form)) };
    render();
    qty.focus();
  }

  ctx.live.on("order", (o) => {
    if (!ctx.visible("trade")) return;
    if (o) upsert(o);
    else load();
  });
  onLanguageChange(render);

  return { load, reset: () => ((orders = []), (known = null), (editing = null), render()) };
}
