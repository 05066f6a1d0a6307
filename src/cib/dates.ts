// Date expressions of rules (<date_expression>), as Pacemaker 2.1.5 evaluates them
// (lib/pengine/rules.c pe__eval_date_expr, lib/common/iso8601.c): operations in_range (the
// default), gt, lt and date_spec; start/end as ISO 8601 dates ("2005-001", "2005-W01-1",
// "2005-01-01 10:00:00", "...T10:00:00Z", offsets "+01:00"); an end may come from start plus a
// <duration> (years, months, weeks, days, hours, minutes, seconds added in that order, a month
// keeping its day unless the month is shorter); <date_spec> fields as single values or ranges
// ("1-5", "-5", "9-"), each given field must hold. A date that does not parse, or an operation
// that lacks the date it needs, does not hold. A date written without an offset is read in the
// scheduler's offset from UTC (Pacemaker reads it in the DC's local zone; edgeha's scheduler
// is pure and is given the offset, UTC unless told otherwise). Pure: `now` is an input.
import type { Attributes, DateExpression } from "./model";

const DAY = 86_400;

/** The clock a rule is evaluated against: seconds since the epoch, and the zone's offset from UTC in seconds. */
export interface RuleClock {
  now: number;
  utcOffset?: number;
}

/** A calendar time as Pacemaker keeps it: year, day of the year (1-based), seconds of the day, offset from UTC. */
interface CalendarTime {
  year: number;
  yearDay: number;
  seconds: number;
  offset: number;
}

const leapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInYear = (year: number) => (leapYear(year) ? 366 : 365);
const daysInMonth = (month: number, year: number) => (month === 2 ? (leapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

function toEpoch(time: CalendarTime): number {
  return Date.UTC(time.year, 0, 1) / 1000 + (time.yearDay - 1) * DAY + time.seconds - time.offset;
}

function fromEpoch(epoch: number, offset: number): CalendarTime {
  const local = epoch + offset;
  const date = new Date(local * 1000);
  const year = date.getUTCFullYear();
  const yearDay = Math.floor((local - Date.UTC(year, 0, 1) / 1000) / DAY) + 1;
  return { year, yearDay, seconds: ((local % DAY) + DAY) % DAY, offset };
}

function gregorian(time: CalendarTime): { year: number; month: number; day: number } {
  const date = new Date(Date.UTC(time.year, 0, time.yearDay));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** ISO 8601 week date: week-numbering year, week (1-53), weekday (1 = Monday .. 7 = Sunday). */
function isoWeek(time: CalendarTime): { year: number; week: number; weekday: number } {
  const date = new Date(Date.UTC(time.year, 0, time.yearDay));
  const weekday = ((date.getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(date.getTime() + (4 - weekday) * DAY * 1000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (DAY * 1000) / 7) + 1;
  return { year, week, weekday };
}

/** Seconds of the day from "HH:MM:SS", "HH:MM", "HH" or "HHMMSS"; 24:00:00 is the length of a day. */
function timeOfDay(text: string): number | undefined {
  let match = /^(\d+)(?::(\d+))?(?::(\d+))?/.exec(text);
  if (match && match[2] === undefined && match[1]!.length > 2) match = /^(\d{1,2})(\d{1,2})?(\d{1,2})?/.exec(text);
  if (!match) return undefined;
  const [hour, minute, second] = [match[1], match[2], match[3]].map((part) => (part === undefined ? 0 : Number(part))) as [number, number, number];
  if (hour === 24 && minute === 0 && second === 0) return DAY;
  if (hour >= 24 || minute >= 60 || second >= 60) return undefined;
  return hour * 3600 + minute * 60 + second;
}

function parseOffset(text: string | undefined, fallback: number): number | undefined {
  if (text === undefined) return fallback;
  if (text.startsWith("Z")) return 0;
  if (!/^[+-]?\d/.test(text)) return 0;
  const negative = text.startsWith("-");
  const seconds = timeOfDay(text.replace(/^[+-]/, ""));
  return seconds === undefined ? undefined : negative ? -seconds : seconds;
}

/**
 * An ISO 8601 date and time as Pacemaker's crm_time_new reads it, in seconds since the epoch;
 * undefined when it does not parse. A time alone ("T10:00", "10:00:00") is on today's date.
 */
export function parseIsoDate(text: string, clock: RuleClock): number | undefined {
  const offset = clock.utcOffset ?? 0;
  const value = text.trim();
  if (value === "") return undefined;
  let time: CalendarTime;
  let rest: string | undefined;
  if (value.startsWith("T") || value[2] === ":") {
    time = { ...fromEpoch(clock.now, offset), seconds: 0 };
    rest = value.startsWith("T") ? value.slice(1) : value;
  } else if (/^epoch(?:$|[/\s])/i.test(value)) {
    return 0;
  } else {
    const calendar = /^(\d+)-(\d+)-(\d+)/.exec(value) ?? /^(\d{4})(\d{2})(\d{2})/.exec(value);
    const ordinal = /^(\d+)-(\d+)/.exec(value);
    const week = /^(\d+)-W(\d+)-(\d+)/.exec(value);
    if (calendar) {
      const [year, month, day] = [Number(calendar[1]), Number(calendar[2]), Number(calendar[3])];
      if (month < 1 || month > 12 || day < 1 || day > daysInMonth(month, year)) return undefined;
      time = { year, yearDay: Math.round((Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / (DAY * 1000)) + 1, seconds: 0, offset };
    } else if (week) {
      const [year, number, weekday] = [Number(week[1]), Number(week[2]), Number(week[3])];
      if (number < 1 || number > isoWeek({ year, yearDay: daysInYear(year) - 3, seconds: 0, offset }).week || weekday < 1 || weekday > 7) return undefined;
      // Week 1 holds the year's first Thursday: its Monday is 1 to 7 days from January 4th back.
      const january4 = isoWeek({ year, yearDay: 4, seconds: 0, offset }).weekday;
      time = { year, yearDay: 4 - (january4 - 1) + (number - 1) * 7 + (weekday - 1), seconds: 0, offset };
    } else if (ordinal) {
      const [year, day] = [Number(ordinal[1]), Number(ordinal[2])];
      if (day < 1 || day > daysInYear(year)) return undefined;
      time = { year, yearDay: day, seconds: 0, offset };
    } else return undefined;
    const after = value.slice(/^[\dW-]*/.exec(value)![0].length);
    if (after.startsWith(" ") || after.startsWith("T")) rest = after.slice(1);
    else if (after !== "") return undefined;
  }
  if (rest !== undefined) {
    const seconds = timeOfDay(rest);
    if (seconds === undefined) return undefined;
    // The zone is "Z" or what follows a space ("10:00:00 +01:00"); without either, the scheduler's offset.
    const zone = rest.includes("Z") ? rest.slice(rest.indexOf("Z")) : rest.includes(" ") ? rest.slice(rest.indexOf(" ")).trimStart() : undefined;
    const parsedOffset = parseOffset(zone, offset);
    if (parsedOffset === undefined) return undefined;
    time = { ...time, seconds, offset: parsedOffset };
  }
  return toEpoch(time);
}

/** start plus a <duration>: years, months, weeks, days, hours, minutes, seconds, in that order (crm_time_add_*). */
export function addDuration(start: number, duration: Attributes, clock: RuleClock): number {
  const field = (name: string) => {
    const match = /^\s*[+-]?\d+/.exec(duration[name] ?? "");
    return match ? Number(match[0]) : 0;
  };
  let time = fromEpoch(start, clock.utcOffset ?? 0);
  // Years keep the day of the year; months keep the day of the month unless the month is shorter.
  if (field("years") !== 0) time = { ...time, year: time.year + field("years") };
  if (field("months") !== 0) {
    const { year, month, day } = gregorian(time);
    const total = year * 12 + (month - 1) + field("months");
    const [newYear, newMonth] = [Math.floor(total / 12), (total % 12 + 12) % 12 + 1];
    const newDay = Math.min(day, daysInMonth(newMonth, newYear));
    time = { ...time, year: newYear, yearDay: Math.round((Date.UTC(newYear, newMonth - 1, newDay) - Date.UTC(newYear, 0, 1)) / (DAY * 1000)) + 1 };
  }
  return toEpoch(time) + (field("weeks") * 7 + field("days")) * DAY + field("hours") * 3600 + field("minutes") * 60 + field("seconds");
}

/** A date_spec field: "N", "N-M", "-M" or "N-"; undefined when it does not parse (the field is then ignored). */
function fieldRange(text: string): [number | undefined, number | undefined] | undefined {
  const value = text.trim();
  // pcmk__parse_ll_range: a leading "-" means no lower bound.
  const open = /^-(\d+)$/.exec(value);
  if (open) return [undefined, Number(open[1])];
  const match = /^(\d+)(?:(-)(\d+)?)?$/.exec(value);
  if (!match) return undefined;
  const low = Number(match[1]);
  if (match[2] === undefined) return [low, low];
  return [low, match[3] === undefined ? undefined : Number(match[3])];
}

/** The moon's phase, 0 (new) to 7, 4 full, as Pacemaker (after nethack) reckons it. */
function moonPhase(time: CalendarTime): number {
  const golden = (time.year % 19) + 1;
  let epact = (11 * golden + 18) % 30;
  if ((epact === 25 && golden > 11) || epact === 24) epact++;
  return Math.floor((((time.yearDay + epact) * 6 + 11) % 177) / 22) & 7;
}

/** Whether every field a <date_spec> gives holds at now (pe_cron_range_satisfied). */
export function dateSpecHolds(spec: Attributes, clock: RuleClock): boolean {
  const time = fromEpoch(clock.now, clock.utcOffset ?? 0);
  const { year, month, day } = gregorian(time);
  const week = isoWeek(time);
  const values: Array<[string, number]> = [
    ["years", year], ["months", month], ["monthdays", day],
    ["hours", Math.floor(time.seconds / 3600)], ["minutes", Math.floor(time.seconds / 60) % 60], ["seconds", time.seconds % 60],
    ["yeardays", time.yearDay], ["weekyears", week.year], ["weeks", week.week], ["weekdays", week.weekday], ["moon", moonPhase(time)],
  ];
  for (const [name, value] of values) {
    const text = spec[name];
    if (text === undefined) continue;
    const range = fieldRange(text);
    if (range === undefined) continue;
    const [low, high] = range;
    if ((low !== undefined && value < low) || (high !== undefined && value > high)) return false;
  }
  return true;
}

/** Whether a date expression holds at the clock's now. */
export function dateExpressionHolds(expression: DateExpression, clock: RuleClock): boolean {
  const start = expression.start === undefined ? undefined : parseIsoDate(expression.start, clock);
  let end = expression.end === undefined ? undefined : parseIsoDate(expression.end, clock);
  if (start !== undefined && end === undefined && expression.duration !== undefined) end = addDuration(start, expression.duration, clock);
  switch ((expression.operation ?? "in_range").toLowerCase()) {
    case "in_range":
      if (start === undefined && end === undefined) return false;
      return (start === undefined || clock.now >= start) && (end === undefined || clock.now <= end);
    case "gt": return start !== undefined && clock.now > start;
    case "lt": return end !== undefined && clock.now < end;
    case "date_spec": return dateSpecHolds(expression.dateSpec ?? {}, clock);
    default: return false;
  }
}
