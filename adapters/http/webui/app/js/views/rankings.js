// The rankings tab: leaderboards by period and contests to join. Servers
// without these features answer 404, shown as an empty state.

import { h, byId, replace, say } from "../dom.js";
import { t, onLanguageChange } from "../i18n.js";
import { money, percent, moveClass, dateTime } from "../format.js";

export function mountRankings(ctx) {
  const board = byId("leaderboard");
  const periods = byId("rank-periods");
  const contests = byId("contests");
  const contestsMsg = byId("contests-msg");
  let period = "1d";
  let boardData; // undefined: not loaded; null: not offered
  let contestData;

  function empty(key, state) {
    return h("p", { class: "empty", dataset: { state } }, t(key));
  }

  function renderBoard() {
    for (const b of periods.querySelectorAll("button")) b.classList.toggle("active", b.dataset.period === period);
    if (boardData === undefined) return;
    if (boardData === null) return replace(board, empty("rank.missing", "missing"));
    const rows = boardData.data || [];
    if (!rows.length) return replace(board, empty("rank.none", "none"));
    replace(
      board,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { class: "num" }, t("rank.rank")), h("th", {}, t("rank.nickname")), h("th", { class: "num" }, t("rank.return")), h("th", { class: "num" }, t("rank.equity")), h("th", { class: "num" }, t("rank.trades"))),
        ),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { class: r.nickname === ctx.session.user?.nickname ? "me" : "" },
              h("td", { class: "num" }, r.rank),
              h("td", {}, r.nickname),
              h("td", { class: "num " + moveClass(r.return_rate) }, percent(r.return_rate)),
              h("td", { class: "num" }, money(r.equity)),
              h("td", { class: "num" }, r.trades),
            ),
          ),
        ),
      ),
      boardData.as_of ? h("p", { class: "muted small" }, t("rank.asOf", { time: dateTime(boardData.as_of) })) : null,
    );
  }

  function renderContests() {
    if (contestData === undefined) return;
    if (contestData === null) return replace(contests, empty("contests.missing", "missing"));
    if (!contestData.length) return replace(contests, empty("contests.none", "none"));
    replace(
      contests,
      h(
        "table",
        { class: "grid" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, t("contests.name")), h("th", {}, t("contests.starts")), h("th", {}, t("contests.ends")), h("th", { class: "num" }, t("contests.cash")), h("th", {})),
        ),
        h(
          "tbody",
          {},
          contestData.map((c) =>
            h(
              "tr",
              { dataset: { contestId: c.id } },
              h("td", {}, c.name),
              h("td", { class: "small" }, dateTime(c.starts_at)),
              h("td", { class: "small" }, dateTime(c.ends_at)),
              h("td", { class: "num" }, money(c.initial_cash)),
              h("td", {}, h("button", { type: "button", onclick: () => join(c) }, t("contests.join"))),
            ),
          ),
        ),
      ),
    );
  }

  async function loadBoard() {
    try {
      boardData = await ctx.api.get("/leaderboards?period=" + encodeURIComponent(period));
    } catch (err) {
      if (!err.missing) return ctx.notify(err.message, "error");
      boardData = null;
    }
    renderBoard();
  }

  async function loadContests() {
    try {
      contestData = (await ctx.api.get("/contests")).data || [];
    } catch (err) {
      if (!err.missing) return ctx.notify(err.message, "error");
      contestData = null;
    }
    renderContests();
  }

  async function join(c) {
    say(contestsMsg, "");
    try {
      const res = await ctx.api.post(`/contests/${encodeURIComponent(c.id)}/join`, {});
      say(contestsMsg, t("contests.joined", { id: res.data?.account_id ?? "" }), "ok");
    } catch (err) {
      say(contestsMsg, err.message, "error");
    }
  }

  periods.addEventListener("click", (ev) => {
    const p = ev.target.closest("button")?.dataset.period;
    if (!p || p === period) return;
    period = p;
    renderBoard();
    loadBoard();
  });
  onLanguageChange(() => {
    renderBoard();
    renderContests();
  });

  return {
    load() {
      loadBoard();
      loadContests();
    },
  };
}
