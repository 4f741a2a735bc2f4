// The param fields of the trigger form, grouped by their schema's `section` (params without one
// come first), in the params' order.
import type { Draft } from "./params";
import { ParamInput } from "./ParamInput";
import type { FieldState } from "./useConfForm";

interface Props {
  fields: FieldState[];
  onChange: (key: string, draft: Draft) => void;
}

function bySection(fields: FieldState[]): [string | null, FieldState[]][] {
  const groups = new Map<string | null, FieldState[]>([[null, []]]);
  for (const state of fields) {
    const section = state.field.section;
    groups.set(section, [...(groups.get(section) ?? []), state]);
  }
  return [...groups].filter(([, members]) => members.length > 0);
}

export function ParamSections({ fields, onChange }: Props) {
  const inputs = (members: FieldState[]) =>
    members.map(({ field, draft, error, shown }) => (
      <ParamInput
        key={field.key}
        field={field}
        draft={draft}
        error={shown ? error : null}
        onChange={(next) => onChange(field.key, next)}
      />
    ));
  return (
    <div class="param-sections">
      {bySection(fields).map(([section, members]) =>
        section === null ? (
          <div key="" class="param-grid">
            {inputs(members)}
          </div>
        ) : (
          <fieldset key={section} class="param-section">
            <legend>{section}</legend>
            <div class="param-grid">{inputs(members)}</div>
          </fieldset>
        ),
      )}
    </div>
  );
}
