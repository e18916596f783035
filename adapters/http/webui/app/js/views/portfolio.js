// The portfolio tab: the balance, every holding with its unrealized P&L,
// and the equity chart.

import { h, byId, replace } from "../dom.js";
import { t, onLanguageChange } from "../i18n.js";
import { money, signedMoney, percent, moveClass } from "../format.js";
import { renderEquity } from "./equity.js";

export function mountPortfolio(ctx) {
  const balance = byId("balance");
  const table = byId("holdings");
  const chart = byId("equity-chart");
  let portfolio = null;
  let equity = undefined; // undefined: not loaded; null: the server has none

  function renderBalance(b) {
    for (const dd of balance.querySelectorAll("dd[data-field]")) dd.textContent = money(b[dd.dataset.field]);
  }

  function renderHoldings() {
    if (!portfolio) return;
    const rows = portfolio.holdings.map((x) =>
      h(
        "tr",
        { dataset: { code: x.stock_code } },
        h("td", { class: "code" }, x.stock_code),
        h("td", {}, x.name),
        h("td", { class: "num", dataset: { field: "quantity" } }, money(String(x.quantity))),
        h("td", { class: "num" }, money(x.average_price)),
        h("td", { class: "num" }, money(x.current_price)),
        h("td", { class: "num" }, money(x.market_value)),
        h("td", { class: "num " + moveClass(x.unrealized_pnl) }, signedMoney(x.unrealized_pnl)),
        h("td", { class: "num " + moveClass(x.unrealized_pnl_rate) }, percent(x.unrealized_pnl_rate)),
      ),
    );
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 8, class: "empty" }, t("holdings.empty"))));
    replace(table.tBodies[0], rows);
    const tot = portfolio.totals;
    table.tFoot.hidden = !portfolio.holdings.length;
    replace(
      table.tFoot,
      h(
        "tr",
        {},
        h("th", { colspan: 5 }, t("holdings.total")),
        h("th", { class: "num" }, money(tot.market_value)),
        h("th", { class: "num " + moveClass(tot.unrealized_pnl) }, signedMoney(tot.unrealized_pnl)),
        h("th", { class: "num " + moveClass(tot.unrealized_pnl_rate) }, percent(tot.unrealized_pnl_rate)),
      ),
    );
  }

  async function loadBalance() {
    try {
      const b = (await ctx.api.get("/balance")).data;
      renderBalance(b);
      ctx.showCash(b);
    } catch (err) {
      ctx.notify(err.message, "error");
    }
  }

  /**
   * Reloads the balance and holdings, and the equity history when asked:
   * it changes once a day, so polling leaves it alone.
   */
  async function load({ equity: withEquity = true } = {}) {
    await loadBalance();
    try {
      portfolio = (await ctx.api.get("/portfolio")).data;
      renderHoldings();
    } catch (err) {
      ctx.notify(err.message, "error");
    }
    if (withEquity) loadEquity();
  }

  async function loadEquity() {
    try {
      equity = (await ctx.api.get("/analytics/equity")).data || [];
    } catch (err) {
      if (!err.missing) {
        ctx.notify(err.message, "error");
        return;
      }
      equity = null;
    }
    renderEquity(chart, equity);
  }

  ctx.live.on("balance", (b) => {
    if (b) {
      renderBalance(b);
      ctx.showCash(b);
      return;
    }
    if (ctx.visible("portfolio")) load({ equity: false });
    else loadBalance();
  });
  onLanguageChange(() => {
    renderHoldings();
    if (equity !== undefined) renderEquity(chart, equity);
  });

  return { load, loadBalance };
}
