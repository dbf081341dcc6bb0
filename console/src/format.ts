// Formatting shared by every page: money from decimal strings (never through floats), times in the user's zone.
import dayjs from "dayjs";
import timezone from "dayjs/plugin/timezone";
import utc from "dayjs/plugin/utc";
import "dayjs/locale/zh-cn";

dayjs.extend(utc);
dayjs.extend(timezone);

export const DEFAULT_ZONE = "Asia/Shanghai";

export function userZone(): string {
  return localStorage.getItem("erp.zone") ?? DEFAULT_ZONE;
}

export function setUserZone(zone: string): void {
  localStorage.setItem("erp.zone", zone);
}

const SYMBOLS: Record<string, string> = { CNY: "¥", USD: "$", EUR: "€", HKD: "HK$" };

/** A decimal string rounded half-up to `places`, as [negative, integer digits, fraction digits] — exact, no floats. */
function decimalParts(amount: string, places: number): [boolean, string, string] {
  const text = amount.trim();
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const padded = (fraction + "0".repeat(places + 1)).slice(0, places + 1);
  let scaled = BigInt((whole || "0") + padded.slice(0, places));
  if (Number(padded[places]) >= 5) scaled += 1n;
  const digits = scaled.toString().padStart(places + 1, "0");
  return [negative && scaled !== 0n, digits.slice(0, digits.length - places), digits.slice(digits.length - places)];
}

/** ¥1,234,567.89 — amounts arrive as JSON strings and are formatted as strings. */
export function money(amount: string | number | null | undefined, currency = "CNY"): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const [negative, integer, fraction] = decimalParts(String(amount), 2);
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${SYMBOLS[currency] ?? currency + " "}${grouped}.${fraction}`;
}

/** For charts only: a number to draw, never to add up. */
export function chartNumber(amount: string | null | undefined): number {
  return amount ? Number(amount) : 0;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return "—";
  return dayjs(value).tz(userZone()).format("YYYY-MM-DD HH:mm");
}

export function date(value: string | null | undefined): string {
  return value ? String(value).slice(0, 10) : "—";
}

export function today(): string {
  return dayjs().tz(userZone()).format("YYYY-MM-DD");
}

export function daysUntil(day: string): number {
  return dayjs.tz(day, userZone()).startOf("day").diff(dayjs().tz(userZone()).startOf("day"), "day");
}

export function nowIso(): string {
  return dayjs().tz(userZone()).format();
}

export { dayjs };

/** Decimal strings added exactly (as cents: money has two places here), for totals typed in a form. */
export function addMoney(...amounts: (string | null | undefined)[]): string {
  let cents = 0n;
  for (const amount of amounts) {
    if (!amount || !/^\s*-?\d+(\.\d+)?\s*$/.test(amount)) continue;
    const [negative, integer, fraction] = decimalParts(amount, 2);
    const value = BigInt(integer + fraction);
    cents += negative ? -value : value;
  }
  const sign = cents < 0n ? "-" : "";
  const digits = (cents < 0n ? -cents : cents).toString().padStart(3, "0");
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** Whether a decimal string is above zero. */
export function positive(amount: string | null | undefined): boolean {
  return !!amount && !amount.trim().startsWith("-") && /[1-9]/.test(amount);
}

/** a > b for decimal strings (exact). */
export function moneyAbove(a: string, b: string): boolean {
  const negated = b.trim().startsWith("-") ? b.trim().slice(1) : `-${b.trim()}`;
  return positive(addMoney(a, negated));
}
