// Display helpers. Money arrives as decimal strings and is shown by
// rewriting the string (digit grouping), never by turning it into a float.

/** Groups the digits of a decimal string: "1234567.5" → "1,234,567.5". */
export function money(value) {
  if (value === null || value === undefined || value === "") return "–";
  let s = String(value);
  let sign = "";
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? "-" : "";
    s = s.slice(1);
  }
  const [whole, frac] = s.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + grouped + (frac ? "." + frac : "");
}

/** money with a leading + for positive amounts, for P&L. */
export function signedMoney(value) {
  const m = money(value);
  return direction(value) > 0 ? "+" + m : m;
}

/**
 * A percentage string ("0.72", "-12.3456") rounded to two places for
 * display. Rates are not money, so a float is fine here.
 */
export function percent(value) {
  if (value === null || value === undefined || value === "") return "–";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  const s = n.toFixed(2);
  return (n > 0 ? "+" : "") + s + "%";
}

/** -1, 0 or 1: the sign of a decimal string. */
export function direction(value) {
  const s = String(value ?? "");
  if (/^[-+]?0*(\.0*)?$/.test(s)) return 0;
  return s[0] === "-" ? -1 : 1;
}

/**
 * The CSS class for a move: KRX colours rises red and falls blue.
 */
export function moveClass(value) {
  const d = direction(value);
  return d > 0 ? "up" : d < 0 ? "down" : "flat";
}

/**
 * A timestamp as Seoul time, 2026-12-01 09:30:05: the same unambiguous form
 * in both languages, since day-first and month-first dates are easy to
 * misread.
 */
export function dateTime(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(seoul.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** A calendar date (YYYY-MM-DD, or a timestamp's Seoul date). */
export function date(value) {
  if (!value) return "–";
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(value))) return String(value);
  return dateTime(value).slice(0, 10);
}

const seoul = new Intl.DateTimeFormat("en-US", {
  timeZone: "Asia/Seoul",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
