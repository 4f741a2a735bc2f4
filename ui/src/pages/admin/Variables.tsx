// The variables page: search by key, pages, create, edit, delete and import from a JSON file.
// Values of sensitive keys arrive masked (`***`) and are shown as the API gives them; sending a
// masked value back keeps the stored secret, so the edit form sends the value only when changed.
import { useState } from "preact/hooks";
import { request } from "../../api";
import { may } from "../../permissions";
import type { Session } from "../../session";
import {
  ActionsHeader,
  AdminListPage,
  Clipped,
  DeleteDialog,
  EditDeleteButtons,
  Field,
  FormDialog,
  ListTail,
  SearchToolbar,
  useEditing,
  usePagedListing,
} from "./AdminKit";
import type { Variable, VariableCollection } from "./adminTypes";
import { ImportVariablesDialog } from "./ImportVariables";

const PATH = "/variables";
const URL = "/api/v2/variables";
const variableUrl = (key: string) => `${URL}/${encodeURIComponent(key)}`;

type Editing = { kind: "create" } | { kind: "edit"; variable: Variable } | { kind: "delete"; variable: Variable } | { kind: "import" };

export function VariablesPage({ session }: { session: Session }) {
  const canChange = may(session.role, "change", "variable");
  const { filters, listing, paging } = usePagedListing<VariableCollection>(PATH, URL, (search) => ({
    variable_key_pattern: search,
    order_by: "key",
  }));
  const { editing, setEditing, close, done } = useEditing<Editing>(listing.refresh);

  return (
    <AdminListPage
      title="Variables"
      listing={listing}
      actions={
        canChange && (
          <button type="button" onClick={() => setEditing({ kind: "import" })}>
            Import…
          </button>
        )
      }
      addLabel="+ Add variable"
      onAdd={canChange ? () => setEditing({ kind: "create" }) : undefined}
      toolbar={<SearchToolbar path={PATH} value={filters.search} label="Search keys" />}
      dialogs={
        <>
          {editing?.kind === "create" && <VariableForm onClose={close} onSaved={(k) => done(`Variable ${k} created`)} />}
          {editing?.kind === "edit" && (
            <VariableForm variable={editing.variable} onClose={close} onSaved={(k) => done(`Variable ${k} saved`)} />
          )}
          {editing?.kind === "delete" && (
            <DeleteDialog
              noun="variable"
              name={editing.variable.key}
              consequence="DAGs that read it will fail."
              url={variableUrl(editing.variable.key)}
              onClose={close}
              onDeleted={done}
            />
          )}
          {editing?.kind === "import" && <ImportVariablesDialog onClose={close} onImported={done} />}
        </>
      }
    >
      {(data) => (
        <>
          <table class="admin-table" aria-label="Variables">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Description</th>
                {canChange && <ActionsHeader />}
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
                      <EditDeleteButtons
                        name={variable.key}
                        onEdit={() => setEditing({ kind: "edit", variable })}
                        onDelete={() => setEditing({ kind: "delete", variable })}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <ListTail
            shown={data.variables.length}
            total={data.total_entries}
            emptyText={filters.search ? "No variable key matches this search." : "No variables yet."}
            {...paging}
          />
        </>
      )}
    </AdminListPage>
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
