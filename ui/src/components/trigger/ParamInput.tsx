// One param of the trigger form: its label, the input its schema calls for, its description as
// help text and, once the user has changed it (or tried to trigger), what is wrong with it.
import { type Draft, type ParamField, allowsNull, enumOptions } from "./params";

interface Props {
  field: ParamField;
  draft: Draft;
  error: string | null;
  onChange: (draft: Draft) => void;
}

function optionLabel(field: ParamField, option: unknown): string {
  const labels = field.schema.values_display;
  const key = typeof option === "string" ? option : JSON.stringify(option);
  if (labels && typeof labels === "object" && key in labels) {
    return String((labels as Record<string, unknown>)[key]);
  }
  return key;
}

const numeric = (value: unknown) => (typeof value === "number" ? value : undefined);

export function ParamInput({ field, draft, error, onChange }: Props) {
  const helpId = `${field.id}-help`;
  const errorId = `${field.id}-error`;
  const described = [field.help ? helpId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id: field.id,
    name: field.key,
    "aria-describedby": described,
    "aria-invalid": error ? true : undefined,
    "aria-required": field.required ? true : undefined,
  };
  const text = typeof draft === "string" ? draft : "";
  const onText = (event: { currentTarget: { value: string } }) => onChange(event.currentTarget.value);

  return (
    <div class={`param-field param-${field.kind}${error ? " param-invalid" : ""}`} data-param={field.key}>
      {field.kind === "boolean" ? (
        <label class="param-check">
          <input type="checkbox" {...common} checked={draft === true} onChange={(event) => onChange(event.currentTarget.checked)} />
          <span>{field.label}</span>
        </label>
      ) : (
        <label for={field.id} class="param-label">
          {field.label}
          {field.required && (
            <span class="param-required" title="Required">
              {" "}
              (required)
            </span>
          )}
          {field.label !== field.key && <code class="param-key">{field.key}</code>}
        </label>
      )}
      {field.kind !== "boolean" && <Input field={field} text={text} common={common} onText={onText} />}
      {field.help && (
        <p class="param-help" id={helpId}>
          {field.help}
        </p>
      )}
      {error && (
        <p class="param-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

interface InputProps {
  field: ParamField;
  text: string;
  common: Record<string, unknown>;
  onText: (event: { currentTarget: { value: string } }) => void;
}

function Input({ field, text, common, onText }: InputProps) {
  const { schema } = field;
  switch (field.kind) {
    case "enum":
      return (
        <select {...common} value={text} onChange={onText}>
          {(allowsNull(schema) || text === "") && <option value="">{field.required ? "Choose…" : "(none)"}</option>}
          {enumOptions(field).map((option, index) =>
            option === null ? null : (
              <option key={index} value={String(index)}>
                {optionLabel(field, option)}
              </option>
            ),
          )}
        </select>
      );
    case "integer":
    case "number":
      return (
        <input
          type="number"
          {...common}
          step={field.kind === "integer" ? 1 : "any"}
          min={numeric(schema.minimum)}
          max={numeric(schema.maximum)}
          value={text}
          onInput={onText}
        />
      );
    case "date":
      return <input type="date" {...common} value={text} onInput={onText} />;
    case "date-time":
      return <input type="datetime-local" step={1} {...common} value={text} onInput={onText} />;
    case "time":
      return <input type="time" step={1} {...common} value={text} onInput={onText} />;
    case "multiline":
    case "string-list":
    case "json":
      return (
        <textarea
          {...common}
          rows={field.kind === "json" ? 4 : 3}
          spellcheck={false}
          placeholder={field.kind === "string-list" ? "One item per line" : undefined}
          value={text}
          onInput={onText}
        />
      );
    case "null":
      return <input type="text" {...common} value="null" disabled />;
    default:
      return <TextInput field={field} text={text} common={common} onText={onText} />;
  }
}

function TextInput({ field, text, common, onText }: InputProps) {
  const examples = Array.isArray(field.schema.examples) ? field.schema.examples : [];
  const listId = examples.length ? `${field.id}-examples` : undefined;
  return (
    <>
      <input
        type="text"
        {...common}
        list={listId}
        spellcheck={false}
        placeholder={field.kind === "any" ? "A value (JSON or text)" : undefined}
        value={text}
        onInput={onText}
      />
      {listId && (
        <datalist id={listId}>
          {examples.map((example, index) => (
            <option key={index} value={String(example)} />
          ))}
        </datalist>
      )}
    </>
  );
}
