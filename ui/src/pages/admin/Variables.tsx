// The variables page: search by key, pages, create, edit, delete and import from a JSON file.
// Values of sensitive keys arrive masked (`***`) and are shown as the API gives them; sending a
// masked value back keeps the stored secret, so the edit form sends the value only when changed.
import { useState } from "preact/hooks";
import { get, request } from "../../api";
import { Pager } from "../../components/Pager";
import { notify } from "../../notices";
import { may } from "../../permissions";
import { useLocation } from "../../router";
import type { Session } from "../../session";
import {
  Clipped,
  ConfirmDialog,
  ErrorBanner,
  Field,
  FormDialog,
  listFiltersHref,
  PageTitle,
  readListFilters,
  SearchBox,
  updateListFilters,
  useListing,
} from "./AdminKit";
import type { Variable, VariableCollection } from "./adminTypes";
import { ImportVariablesDialog } from "./ImportVariables";

const PATH = "/variables";
const URL = "/api/v2/variables";
const variableUrl = (key: string) => `${URL}/${encodeURIComponent(key)}`;

type Editing = { kind: "create" } | { kind: "edit"; variable: Variable } | { kind: "delete"; variable: Variable } | { kind: "import" };

export function VariablesPage({ session }: { session: Session }) {
  const filters = readListFilters(useLocation().query);
  const key = listFiltersHref(PATH, filters);
  const canChange = may(session.role, "change", "variable");
  const [editing, setEditing] = useState<Editing | null>(null);
  const listing = useListing(
    (signal) =>
      get<VariableCollection>(
        URL,
        {
          variable_key_pattern: filters.search,
          order_by: "key",
          limit: filters.pageSize,
          offset: (filters.page - 1) * filters.pageSize,
        },
        signal,
      ),
    key,
  );
  const close = () => setEditing(null);
  const done = (text: string) => {
    notify(text);
    listing.refresh();
  };
  const data = listing.data;

  return (
    <main class="page">
      <PageTitle title="Variables" count={data?.total_entries}>
        {canChange && (
          <>
            <button type="button" onClick={() => setEditing({ kind: "import" })}>
              Import…
            </button>
            <button type="button" class="primary" onClick={() => setEditing({ kind: "create" })}>
              + Add variable
            </button>
          </>
        )}
      </PageTitle>
      <div class="toolbar">
        <SearchBox value={filters.search} label="Search keys" onSearch={(search) => updateListFilters(PATH, { search }, true)} />
      </div>
      <ErrorBanner error={listing.error} />
      {data && (
        <>
          <table class="admin-table" aria-label="Variables">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Description</th>
                {canChange && (
                  <th>
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {data.variables.map((variable) => (
                <tr key={variable.key} data-key={variable.key}>
                  <td>
                    <code>{variable.key}</code>
                  </td>
                  <td>
                    <code class="value">
                      <Clipped text={variable.value ?? ""} />
                    </code>
                  </td>
                  <td>{variable.description}</td>
                  {canChange && (
                    <td class="actions">
                      <button type="button" aria-label={`Edit ${variable.key}`} onClick={() => setEditing({ kind: "edit", variable })}>
                        Edit
                      </button>
                      <button type="button" aria-label={`Delete ${variable.key}`} onClick={() => setEditing({ kind: "delete", variable })}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {data.variables.length === 0 && (
            <p class="empty muted">{filters.search ? "No variable key matches this search." : "No variables yet."}</p>
          )}
          <Pager
            page={filters.page}
            pageSize={filters.pageSize}
            total={data.total_entries}
            onPage={(page) => updateListFilters(PATH, { page })}
            onPageSize={(pageSize) => updateListFilters(PATH, { pageSize })}
          />
        </>
      )}
      {!data && !listing.error && <p class="muted">Loading…</p>}
      {editing?.kind === "create" && <VariableForm onClose={close} onSaved={(k) => done(`Variable ${k} created`)} />}
      {editing?.kind === "edit" && (
        <VariableForm variable={editing.variable} onClose={close} onSaved={(k) => done(`Variable ${k} saved`)} />
      )}
      {editing?.kind === "delete" && (
        <ConfirmDialog
          title="Delete variable"
          message={
            <>
              Delete variable <code>{editing.variable.key}</code>? DAGs that read it will fail.
            </>
          }
          confirmLabel="Delete"
          onClose={close}
          onConfirm={async () => {
            await request("DELETE", variableUrl(editing.variable.key));
            done(`Variable ${editing.variable.key} deleted`);
          }}
        />
      )}
      {editing?.kind === "import" && <ImportVariablesDialog onClose={close} onImported={done} />}
    </main>
  );
}

interface FormProps {
  /** The variable to edit; none to create one. */
  variable?: Variable;
  onClose: () => void;
  onSaved: (key: string) => void;
}

function VariableForm({ variable, onClose, onSaved }: FormProps) {
  const [key, setKey] = useState(variable?.key ?? "");
  const [value, setValue] = useState(variable?.value ?? "");
  const [description, setDescription] = useState(variable?.description ?? "");
  const masked = variable?.value?.includes("***") ?? false;

  const save = async () => {
    const body = { key: key.trim(), value, description: description || null };
    if (!variable) {
      if (!body.key) throw new Error("Give the variable a key");
      await request("POST", URL, { body });
    } else {
      const mask = [
        ...(value !== (variable.value ?? "") ? ["value"] : []),
        ...(description !== (variable.description ?? "") ? ["description"] : []),
      ];
      if (mask.length > 0) {
        await request("PATCH", variableUrl(variable.key), { body: { ...body, key: variable.key }, query: { update_mask: mask } });
      }
    }
    onSaved(body.key);
  };

  return (
    <FormDialog title={variable ? `Edit variable ${variable.key}` : "Add variable"} submitLabel="Save" onSubmit={save} onClose={onClose}>
      <Field label="Key">
        <input value={key} required readOnly={variable !== undefined} onInput={(e) => setKey(e.currentTarget.value)} />
      </Field>
      <Field
        label="Value"
        hint={masked ? "Parts shown as *** are secret: leave them as they are to keep the stored values." : undefined}
      >
        <textarea rows={5} spellcheck={false} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <Field label="Description">
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
    </FormDialog>
  );
}
