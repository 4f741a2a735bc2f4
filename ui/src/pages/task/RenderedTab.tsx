// The Rendered templates tab: each template field as the last try rendered it.
import type { TaskInstance } from "./taskTypes";

export function RenderedTab({ ti }: { ti: TaskInstance }) {
  const fields = Object.entries(ti.rendered_fields ?? {});
  if (fields.length === 0) {
    return (
      <p class="muted empty">
        {ti.try_number === 0 || ti.state === "running" || ti.state === "queued"
          ? "The template fields are shown once a try has rendered and recorded them."
          : "This task has no rendered template fields."}
      </p>
    );
  }
  return (
    <dl class="rendered-fields">
      {fields.map(([name, value]) => (
        <div key={name} class="rendered-field">
          <dt>
            <code>{name}</code>
          </dt>
          <dd>
            <pre class="code-block">{showValue(value)}</pre>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Text as it is; anything else as indented JSON. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}
