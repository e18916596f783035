// The ledger tab: every real movement of money, newest first, a page at a
// time (the API's next_cursor).

import { h, byId, replace } from "../dom.js";
import { t, label, onLanguageChange } from "../i18n.js";
import { money, dateTime } from "../format.js";

export function mountLedger(ctx) {
  const tbody = byId("ledger").tBodies[0];
  const more = byId("ledger-more");
  let rows = [];
  let next = null;

  function render() {
    const out = rows.map((r) =>
      h(
        "tr",
        { dataset: { type: r.transaction_type } },
        h("td", { class: "small" }, dateTime(r.transaction_date)),
        h("td", {}, label("tx", r.transaction_type)),
        h("td", { class: "code" }, r.stock_code || ""),
        h("td", { class: "num" }, r.quantity ?? ""),
        h("td", { class: "num" }, r.price ? money(r.price) : ""),
        h("td", { class: "num", dataset: { field: "amount" } }, money(r.amount)),
        h("td", { class: "num" }, money(r.commission)),
        h("td", { class: "num" }, money(r.tax)),
        h("td", { class: "num" }, money(r.cash_balance_after)),
      ),
    );
    if (!out.length) out.push(h("tr", {}, h("td", { colspan: 9, class: "empty" }, t("ledger.empty"))));
    replace(tbody, out);
    more.hidden = !next;
  }

  async function load() {
    try {
      const res = await ctx.api.get("/transactions?limit=50");
      rows = res.data || [];
      next = res.next_cursor || null;
      render();
    } catch (err) {
      ctx.notify(err.message, "error");
    }
  }

  more.addEventListener("click", async () => {
    if (!next) return;
    try {
      const res = await ctx.api.get("/transactions?limit=50&cursor=" + encodeURIComponent(next));
      rows = rows.concat(res.data || []);
      next = res.next_cursor || null;
      render();
    } catch (err) {
      ctx.notify(err.message, "error");
    }
  });
  onLanguageChange(render);

  return { load };
}
