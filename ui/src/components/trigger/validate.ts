// The checks of a param's JSON schema the server also makes (type, enum, const, bounds, lengths,
// pattern, formats, array sizes and items), worded for people, so the trigger form can point at a
// field before sending. The server validates again and its message is shown when it refuses.
import { type ParamField, allowsNull, jsonEqual, typesOf } from "./params";

type Schema = Record<string, unknown>;

const ARTICLE: Record<string, string> = {
  string: "a text",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a JSON object",
  null: "empty",
};

function isType(value: unknown, name: string): boolean {
  switch (name) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    default:
      return value !== null && typeof value === "object" && !Array.isArray(value);
  }
}

const number = (value: unknown): value is number => typeof value === "number";
const shown = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

function validDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const FORMATS: Record<string, [RegExp | ((text: string) => boolean), string]> = {
  date: [validDate, "Enter a date as YYYY-MM-DD"],
  "date-time": [
    (text) =>
      /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text) &&
      validDate(text.slice(0, 10)),
    "Enter a date and time with its time zone, like 2024-01-31T12:00:00Z",
  ],
  time: [/^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/, "Enter a time as HH:MM:SS"],
};

function numberError(value: number, schema: Schema): string | null {
  if (number(schema.minimum) && value < schema.minimum) return `Must be at least ${schema.minimum}`;
  if (number(schema.maximum) && value > schema.maximum) return `Must be at most ${schema.maximum}`;
  if (number(schema.exclusiveMinimum) && value <= schema.exclusiveMinimum) {
    return `Must be greater than ${schema.exclusiveMinimum}`;
  }
  if (number(schema.exclusiveMaximum) && value >= schema.exclusiveMaximum) {
    return `Must be less than ${schema.exclusiveMaximum}`;
  }
  if (number(schema.multipleOf) && schema.multipleOf > 0) {
    const ratio = value / schema.multipleOf;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-9) return `Must be a multiple of ${schema.multipleOf}`;
  }
  return null;
}

function stringError(value: string, schema: Schema): string | null {
  const length = [...value].length;
  if (number(schema.minLength) && length < schema.minLength) {
    return schema.minLength === 1 ? "Must not be empty" : `Must be at least ${plural(schema.minLength, "character")}`;
  }
  if (number(schema.maxLength) && length > schema.maxLength) {
    return `Must be at most ${plural(schema.maxLength, "character")}`;
  }
  if (typeof schema.pattern === "string") {
    let pattern: RegExp | null = null;
    try {
      pattern = new RegExp(schema.pattern, "u");
    } catch {
      pattern = null; // a pattern JavaScript cannot read: the server decides
    }
    if (pattern && !pattern.test(value)) return `Must match the pattern ${schema.pattern}`;
  }
  const format = typeof schema.format === "string" ? FORMATS[schema.format] : undefined;
  if (format) {
    const [check, message] = format;
    if (!(typeof check === "function" ? check(value) : check.test(value))) return message;
  }
  return null;
}

function arrayError(value: unknown[], schema: Schema): string | null {
  if (number(schema.minItems) && value.length < schema.minItems) {
    return `Needs at least ${plural(schema.minItems, "item")}`;
  }
  if (number(schema.maxItems) && value.length > schema.maxItems) {
    return `Takes at most ${plural(schema.maxItems, "item")}`;
  }
  if (schema.uniqueItems === true) {
    const seen = new Set(value.map((item) => JSON.stringify(item)));
    if (seen.size !== value.length) return "Items must not repeat";
  }
  const items = schema.items;
  if (items && typeof items === "object" && !Array.isArray(items)) {
    for (const [index, item] of value.entries()) {
      const error = schemaError(item, items as Schema);
      if (error) return `Item ${index + 1}: ${error}`;
    }
  }
  return null;
}

/** Why `value` breaks `schema` (the first rule it breaks), or null when it satisfies it. */
export function schemaError(value: unknown, schema: Schema): string | null {
  const types = typesOf(schema);
  if (types && !types.some((name) => isType(value, name))) {
    const named = [...types.filter((name) => name !== "null"), ...types.filter((name) => name === "null")];
    return `Must be ${named.map((name) => ARTICLE[name]).join(" or ")}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => jsonEqual(option, value))) {
    return `Must be one of: ${schema.enum.map(shown).join(", ")}`;
  }
  if ("const" in schema && !jsonEqual(schema.const, value)) return `Must be ${shown(schema.const)}`;
  if (typeof value === "number") return numberError(value, schema);
  if (typeof value === "string") return stringError(value, schema);
  if (Array.isArray(value)) return arrayError(value, schema);
  return null;
}

/** The message to show next to a field holding `value`, or null when the value will do. */
export function fieldError(field: ParamField, value: unknown): string | null {
  const empty = value === null || value === "";
  if (field.required && empty) return "Required: this param has no default";
  if (value === null && !allowsNull(field.schema)) return "A value is required";
  return schemaError(value, field.schema);
}
