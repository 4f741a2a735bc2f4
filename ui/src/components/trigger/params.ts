// A DAG's params as trigger form fields: which input each param gets (from its JSON schema, or
// from its default when it has no type), and the conversions between a field's draft (what the
// input holds) and the conf value sent to the server.

/** A param as GET /api/v2/dags/{id}/details serializes it. */
export interface TriggerParam {
  value: unknown;
  description: string | null;
  schema: Record<string, unknown>;
}

export type TriggerParams = Record<string, TriggerParam>;

export type FieldKind =
  | "boolean"
  | "enum"
  | "integer"
  | "number"
  | "string"
  | "multiline"
  | "date"
  | "date-time"
  | "time"
  | "string-list"
  | "json"
  | "any"
  | "null";

/** What an input holds: the checked state of a checkbox, else its text. */
export type Draft = string | boolean;

export interface ParamField {
  key: string;
  /** A DOM id prefix unique in the dialog (keys may hold any character). */
  id: string;
  param: TriggerParam;
  schema: Record<string, unknown>;
  kind: FieldKind;
  /** No default and null not allowed: the user must give a value. */
  required: boolean;
  label: string;
  help: string | null;
  section: string | null;
}

const TYPE_NAMES = ["string", "integer", "number", "boolean", "array", "object", "null"];

/** The JSON types a schema allows, or null when it names none (any value). */
export function typesOf(schema: Record<string, unknown>): string[] | null {
  const type = schema.type;
  if (typeof type === "string" && TYPE_NAMES.includes(type)) return [type];
  if (Array.isArray(type)) {
    const names = type.filter((name): name is string => typeof name === "string" && TYPE_NAMES.includes(name));
    return names.length ? names : null;
  }
  return null;
}

export function allowsNull(schema: Record<string, unknown>): boolean {
  const types = typesOf(schema);
  if (Array.isArray(schema.enum)) return schema.enum.some((option) => option === null);
  return types === null || types.includes("null");
}

function typeOfValue(value: unknown): string | null {
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "array";
  if (value !== null && typeof value === "object") return "object";
  return null; // numbers and null: any value, typed as JSON
}

function kindOf(schema: Record<string, unknown>, value: unknown): FieldKind {
  if (Array.isArray(schema.enum)) return "enum";
  const declared = typesOf(schema);
  const inferred = typeOfValue(value);
  const types = declared ?? (inferred ? [inferred] : null);
  if (types === null) return "any";
  const concrete = types.filter((name) => name !== "null");
  if (concrete.length === 0) return "null";
  if (concrete.length > 1) return "any";
  switch (concrete[0]) {
    case "boolean":
    case "integer":
    case "number":
      return concrete[0];
    case "string":
      if (schema.format === "date" || schema.format === "date-time" || schema.format === "time") return schema.format;
      return schema.format === "multiline" ? "multiline" : "string";
    case "array": {
      const items = schema.items as Record<string, unknown> | undefined;
      const itemTypes = items && typeof items === "object" ? typesOf(items) : null;
      if (itemTypes) return itemTypes.length === 1 && itemTypes[0] === "string" ? "string-list" : "json";
      const strings = value === null || (Array.isArray(value) && value.every((item) => typeof item === "string"));
      return strings ? "string-list" : "json";
    }
    default:
      return "json";
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() ? value : null;
}

/** The form's fields, in the params' order. */
export function fieldsOf(params: TriggerParams): ParamField[] {
  return Object.entries(params).map(([key, param], index) => {
    const schema = param.schema && typeof param.schema === "object" ? param.schema : {};
    return {
      key,
      id: `trigger-param-${index}`,
      param,
      schema,
      kind: kindOf(schema, param.value),
      required: param.value === null && !allowsNull(schema),
      label: text(schema.title) ?? key,
      help: text(param.description) ?? text(schema.description_md) ?? text(schema.description),
      section: text(schema.section),
    };
  });
}

// --- drafts and values ------------------------------------------------------------------------

const pad = (number: number) => String(number).padStart(2, "0");

/** An ISO date-time as a `datetime-local` input shows it (the browser's time zone). */
export function localDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A `datetime-local` input's value (the browser's time zone) as an RFC 3339 UTC date-time. */
export function isoFromLocal(local: string): string | null {
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace(/\.000Z$/, "Z");
}

export function jsonEqual(one: unknown, two: unknown): boolean {
  return JSON.stringify(one) === JSON.stringify(two);
}

export function enumOptions(field: ParamField): unknown[] {
  return Array.isArray(field.schema.enum) ? field.schema.enum : [];
}

/** What the field's input shows for `value`. */
export function draftOf(field: ParamField, value: unknown): Draft {
  switch (field.kind) {
    case "boolean":
      return value === true;
    case "enum": {
      const index = enumOptions(field).findIndex((option) => jsonEqual(option, value));
      return index < 0 ? "" : String(index);
    }
    case "date-time":
      return typeof value === "string" ? localDateTime(value) || value : "";
    case "string-list":
      return Array.isArray(value) ? value.map(String).join("\n") : "";
    case "json":
      return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
    case "any":
      if (value === null || value === undefined) return "";
      return typeof value === "string" ? value : JSON.stringify(value);
    case "null":
      return "";
    default:
      return value === null || value === undefined ? "" : String(value);
  }
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });

/** The conf value a draft stands for, or why the draft is not one. */
export function valueOf(field: ParamField, draft: Draft): Parsed {
  if (typeof draft === "boolean") return ok(draft);
  const trimmed = draft.trim();
  switch (field.kind) {
    case "enum":
      return ok(draft === "" ? null : enumOptions(field)[Number(draft)]);
    case "integer":
    case "number": {
      if (!trimmed) return ok(null);
      const number = Number(trimmed);
      if (!Number.isFinite(number)) return { ok: false, error: "Enter a number" };
      return ok(number);
    }
    case "date-time": {
      if (!trimmed) return ok(null);
      const iso = isoFromLocal(trimmed);
      return iso ? ok(iso) : { ok: false, error: "Enter a date and time" };
    }
    case "time":
      if (!trimmed) return ok(null);
      return ok(/^\d\d:\d\d$/.test(trimmed) ? `${trimmed}:00` : trimmed);
    case "string-list":
      return ok(
        draft
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean),
      );
    case "json":
      if (!trimmed) return ok(null);
      try {
        return ok(JSON.parse(trimmed));
      } catch (error) {
        return { ok: false, error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
      }
    case "any":
      if (!trimmed) return ok(null);
      try {
        return ok(JSON.parse(trimmed));
      } catch {
        return ok(draft);
      }
    case "null":
      return ok(null);
    default: // string, multiline, date
      return ok(draft === "" && allowsNull(field.schema) ? null : draft);
  }
}
