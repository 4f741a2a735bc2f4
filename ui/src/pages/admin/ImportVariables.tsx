// Importing variables from a JSON file, as `slipstream variables import` reads one: an object
// whose keys are variable keys and whose values are the values (or `{"value": …, "description":
// …}`). One bulk request creates them all; what the server refused is listed.
import { useState } from "preact/hooks";
import { request } from "../../api";
import { Field, FormDialog } from "./AdminKit";
import type { BulkResult } from "./adminTypes";

type OnExistence = "overwrite" | "skip" | "fail";

interface Entity {
  key: string;
  value: unknown;
  description?: string | null;
}

/** The variables a file holds; an error saying what is wrong with it otherwise. */
export function parseVariablesFile(text: string): Entity[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`The file is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new Error('The file must hold a JSON object of keys and values, like {"region": "eu-west-1"}');
  }
  const entities = Object.entries(data).map(([key, item]): Entity => {
    const described = typeof item === "object" && item !== null && !Array.isArray(item) && "value" in item;
    if (!described) return { key, value: item };
    const { value, description } = item as { value: unknown; description?: unknown };
    return { key, value, description: typeof description === "string" ? description : null };
  });
  if (entities.length === 0) throw new Error("The file holds no variables");
  return entities;
}

export function ImportVariablesDialog({ onClose, onImported }: { onClose: () => void; onImported: (text: string) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [onExistence, setOnExistence] = useState<OnExistence>("overwrite");

  const submit = async () => {
    if (!file) throw new Error("Choose a JSON file to import");
    const entities = parseVariablesFile(await file.text());
    const result = await request<BulkResult>("PATCH", "/api/v2/variables", {
      body: { actions: [{ action: "create", entities, action_on_existence: onExistence }] },
    });
    const errors = result.create?.errors ?? [];
    if (errors.length > 0) {
      throw new Error(`Nothing imported: ${errors.map((error) => error.error ?? JSON.stringify(error)).join("; ")}`);
    }
    const imported = result.create?.success.length ?? 0;
    onImported(`Imported ${imported} variable${imported === 1 ? "" : "s"} from ${file.name}`);
  };

  return (
    <FormDialog title="Import variables" submitLabel="Import" onSubmit={submit} onClose={onClose}>
      <Field label="JSON file" hint='An object of keys and values: {"key": "value", "other": {"value": 1, "description": "…"}}'>
        <input type="file" accept=".json,application/json" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
      </Field>
      <Field label="When a key exists">
        <select value={onExistence} onChange={(e) => setOnExistence(e.currentTarget.value as OnExistence)}>
          <option value="overwrite">Overwrite it</option>
          <option value="skip">Keep it</option>
          <option value="fail">Import nothing</option>
        </select>
      </Field>
    </FormDialog>
  );
}
