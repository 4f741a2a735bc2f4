// The state of the trigger form's conf: one draft per param field, the conf keys that are no
// params (typed in the JSON editor), and the JSON editor's text. Editing a field rewrites the JSON;
// editing the JSON (when it is a valid object) refills the fields, so both always show one conf.
import { useMemo, useState } from "preact/hooks";
import { type Draft, type ParamField, type TriggerParams, draftOf, fieldsOf, valueOf } from "./params";
import { fieldError } from "./validate";

export interface FieldState {
  field: ParamField;
  draft: Draft;
  /** What is wrong with the field's value, whether shown yet or not. */
  error: string | null;
  /** Whether to show `error`: the user changed the field or tried to trigger. */
  shown: boolean;
}

export interface ConfForm {
  fields: FieldState[];
  conf: Record<string, unknown>;
  jsonText: string;
  jsonError: string | null;
  invalidFields: number;
  setDraft: (key: string, draft: Draft) => void;
  setJson: (text: string) => void;
  showAllErrors: () => void;
}

/** `text` as a conf: a JSON object (empty text is `{}`), or an error naming the problem. */
export function parseConf(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The configuration is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error('The configuration must be a JSON object, like {"key": "value"}');
  }
  return value as Record<string, unknown>;
}

function confOf(fields: ParamField[], drafts: Record<string, Draft>, extra: Record<string, unknown>) {
  const conf: Record<string, unknown> = { ...extra };
  for (const field of fields) {
    const parsed = valueOf(field, drafts[field.key]);
    conf[field.key] = parsed.ok ? parsed.value : drafts[field.key];
  }
  return conf;
}

const stringify = (conf: Record<string, unknown>) => JSON.stringify(conf, null, 2);

export function useConfForm(params: TriggerParams): ConfForm {
  const fields = useMemo(() => fieldsOf(params), [params]);
  const defaults = useMemo(
    () => Object.fromEntries(fields.map((field) => [field.key, draftOf(field, field.param.value)])),
    [fields],
  );
  const [drafts, setDrafts] = useState<Record<string, Draft>>(defaults);
  const [extra, setExtra] = useState<Record<string, unknown>>({});
  const [jsonText, setJsonText] = useState(() => stringify(confOf(fields, defaults, {})));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [changed, setChanged] = useState<ReadonlySet<string>>(new Set());
  const [showAll, setShowAll] = useState(false);

  const states = fields.map((field): FieldState => {
    const draft = drafts[field.key];
    const parsed = valueOf(field, draft);
    const error = parsed.ok ? fieldError(field, parsed.value) : parsed.error;
    return { field, draft, error, shown: showAll || changed.has(field.key) };
  });

  const setDraft = (key: string, draft: Draft) => {
    const next = { ...drafts, [key]: draft };
    setDrafts(next);
    setChanged(new Set(changed).add(key));
    setJsonText(stringify(confOf(fields, next, extra)));
    setJsonError(null);
  };

  const setJson = (text: string) => {
    setJsonText(text);
    let conf: Record<string, unknown>;
    try {
      conf = parseConf(text);
    } catch (error) {
      setJsonError(error instanceof Error ? error.message : String(error));
      return;
    }
    setJsonError(null);
    const keys = new Set(fields.map((field) => field.key));
    const next: Record<string, Draft> = {};
    const touched = new Set(changed);
    for (const field of fields) {
      const given = field.key in conf;
      next[field.key] = given ? draftOf(field, conf[field.key]) : defaults[field.key];
      if (given) touched.add(field.key);
    }
    setDrafts(next);
    setChanged(touched);
    setExtra(Object.fromEntries(Object.entries(conf).filter(([key]) => !keys.has(key))));
  };

  return {
    fields: states,
    conf: confOf(fields, drafts, extra),
    jsonText,
    jsonError,
    invalidFields: states.filter((state) => state.error).length,
    setDraft,
    setJson,
    showAllErrors: () => setShowAll(true),
  };
}
