// The connections page: search by id, pages, create, edit, delete and test. Passwords are never
// shown (the API answers `***`): the edit form's password field starts blank and a blank field
// keeps the stored password. Secret fields of the extra arrive masked and, sent back unchanged,
// keep their stored values.
//
// Testing sends only the connection's id and type: the server tests the stored connection (its
// real secrets), never the masked values the page holds. The server refuses (403) unless
// `[core] test_connection` is enabled; after its first refusal the Test buttons are gone until the
// page is loaded again.
import { useState } from "preact/hooks";
import { ApiError, messageOf, request } from "../../api";
import { notify } from "../../notices";
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
import type { Connection, ConnectionCollection } from "./adminTypes";

const PATH = "/connections";
const URL = "/api/v2/connections";
const connectionUrl = (id: string) => `${URL}/${encodeURIComponent(id)}`;

type Editing = { kind: "create" } | { kind: "edit"; connection: Connection } | { kind: "delete"; connection: Connection };

export function ConnectionsPage({ session }: { session: Session }) {
  const canChange = may(session.role, "change", "connection");
  const [canTest, setCanTest] = useState(!testingRefused);
  const { filters, listing, paging } = usePagedListing<ConnectionCollection>(PATH, URL, (search) => ({
    connection_id_pattern: search,
    order_by: "connection_id",
  }));
  const { editing, setEditing, close, done } = useEditing<Editing>(listing.refresh);

  return (
    <AdminListPage
      title="Connections"
      listing={listing}
      addLabel="+ Add connection"
      onAdd={canChange ? () => setEditing({ kind: "create" }) : undefined}
      toolbar={<SearchToolbar path={PATH} value={filters.search} label="Search connection ids" />}
      dialogs={
        <>
          {editing?.kind === "create" && <ConnectionForm onClose={close} onSaved={(id) => done(`Connection ${id} created`)} />}
          {editing?.kind === "edit" && (
            <ConnectionForm connection={editing.connection} onClose={close} onSaved={(id) => done(`Connection ${id} saved`)} />
          )}
          {editing?.kind === "delete" && (
            <DeleteDialog
              noun="connection"
              name={editing.connection.connection_id}
              consequence="Tasks that use it will fail."
              url={connectionUrl(editing.connection.connection_id)}
              onClose={close}
              onDeleted={done}
            />
          )}
        </>
      }
    >
      {(data) => (
        <>
          <table class="admin-table" aria-label="Connections">
            <thead>
              <tr>
                <th>Connection id</th>
                <th>Type</th>
                <th>Host</th>
                <th class="num">Port</th>
                <th>Schema</th>
                <th>Login</th>
                <th>Description</th>
                {canChange && <ActionsHeader />}
              </tr>
            </thead>
            <tbody>
              {data.connections.map((connection) => (
                <ConnectionRow
                  key={connection.connection_id}
                  connection={connection}
                  canChange={canChange}
                  onTest={
                    canTest
                      ? () =>
                          void testConnection(connection).then((refused) => {
                            if (refused) setCanTest(false);
                          })
                      : undefined
                  }
                  onEdit={() => setEditing({ kind: "edit", connection })}
                  onDelete={() => setEditing({ kind: "delete", connection })}
                />
              ))}
            </tbody>
          </table>
          <ListTail
            shown={data.connections.length}
            total={data.total_entries}
            emptyText={filters.search ? "No connection id matches this search." : "No connections yet."}
            {...paging}
          />
        </>
      )}
    </AdminListPage>
  );
}

interface RowProps {
  connection: Connection;
  canChange: boolean;
  /** Absent when the server refuses to test connections. */
  onTest?: () => void;
  onEdit: () => void;
  onDelete: () => void;
}

function ConnectionRow({ connection, canChange, onTest, onEdit, onDelete }: RowProps) {
  const id = connection.connection_id;
  return (
    <tr data-connection-id={id}>
      <td>
        <code>{id}</code>
      </td>
      <td>{connection.conn_type}</td>
      <td>{connection.host}</td>
      <td class="num">{connection.port}</td>
      <td>{connection.schema}</td>
      <td>{connection.login}</td>
      <td>
        <Clipped text={connection.description ?? ""} />
      </td>
      {canChange && (
        <td class="actions">
          {onTest && (
            <button type="button" aria-label={`Test ${id}`} onClick={onTest}>
              Test
            </button>
          )}
          <EditDeleteButtons name={id} onEdit={onEdit} onDelete={onDelete} />
        </td>
      )}
    </tr>
  );
}

/** Set once the server refused to test connections (testing is disabled): for the page's life. */
let testingRefused = false;

/**
 * Asks the API to test the stored connection and shows its answer. Only the id and type are sent:
 * the server fills in the stored fields, secrets included. Resolves to true when the server
 * refuses testing altogether (403), which is then said once.
 */
async function testConnection(connection: Connection): Promise<boolean> {
  const body = { connection_id: connection.connection_id, conn_type: connection.conn_type };
  try {
    const result = await request<{ status: boolean; message: string }>("POST", `${URL}/test`, { body });
    notify(`Test of ${connection.connection_id}: ${result.message}`, result.status ? "info" : "error");
    return false;
  } catch (failure) {
    const refused = failure instanceof ApiError && failure.status === 403;
    if (refused) testingRefused = true;
    notify(`Cannot test ${connection.connection_id}: ${messageOf(failure)}`, "error");
    return refused;
  }
}

type TextField = "conn_type" | "description" | "host" | "login" | "schema" | "extra";
const TEXT_FIELDS: readonly TextField[] = ["conn_type", "description", "host", "login", "schema", "extra"];

interface FormProps {
  /** The connection to edit; none to create one. */
  connection?: Connection;
  onClose: () => void;
  onSaved: (id: string) => void;
}

function ConnectionForm({ connection, onClose, onSaved }: FormProps) {
  const [id, setId] = useState(connection?.connection_id ?? "");
  const [texts, setTexts] = useState<Record<TextField, string>>(() => {
    const start = {} as Record<TextField, string>;
    for (const name of TEXT_FIELDS) start[name] = connection?.[name] ?? "";
    return start;
  });
  const [port, setPort] = useState(connection?.port?.toString() ?? "");
  const [password, setPassword] = useState("");
  const hasPassword = Boolean(connection?.password);
  const text = (name: TextField) => ({
    value: texts[name],
    onInput: (event: Event) => setTexts({ ...texts, [name]: (event.currentTarget as HTMLInputElement).value }),
  });

  const save = async () => {
    const portNumber = port.trim() === "" ? null : Number(port);
    if (portNumber !== null && !Number.isInteger(portNumber)) throw new Error("The port must be a whole number");
    checkExtra(texts.extra);
    const body: Record<string, unknown> = { connection_id: id.trim(), port: portNumber };
    for (const name of TEXT_FIELDS) body[name] = texts[name] === "" ? null : texts[name];
    body.conn_type = texts.conn_type.trim();
    if (!connection) {
      await request("POST", URL, { body: { ...body, password: password || null } });
    } else {
      const mask: string[] = TEXT_FIELDS.filter((name) => texts[name] !== (connection[name] ?? ""));
      if (portNumber !== connection.port) mask.push("port");
      if (password) mask.push("password");
      if (mask.length === 0) return onSaved(connection.connection_id);
      await request("PATCH", connectionUrl(connection.connection_id), {
        body: { ...body, connection_id: connection.connection_id, ...(password ? { password } : {}) },
        query: { update_mask: mask },
      });
    }
    onSaved(String(body.connection_id));
  };

  return (
    <FormDialog
      title={connection ? `Edit connection ${connection.connection_id}` : "Add connection"}
      submitLabel="Save"
      onSubmit={save}
      onClose={onClose}
    >
      <div class="field-row">
        <Field label="Connection id">
          <input value={id} required readOnly={connection !== undefined} onInput={(e) => setId(e.currentTarget.value)} />
        </Field>
        <Field label="Connection type">
          <input required placeholder="e.g. postgres, http, aws" {...text("conn_type")} />
        </Field>
      </div>
      <Field label="Description">
        <input {...text("description")} />
      </Field>
      <div class="field-row">
        <Field label="Host">
          <input {...text("host")} />
        </Field>
        <Field label="Port">
          <input inputMode="numeric" value={port} onInput={(e) => setPort(e.currentTarget.value)} />
        </Field>
      </div>
      <div class="field-row">
        <Field label="Schema">
          <input {...text("schema")} />
        </Field>
        <Field label="Login">
          <input autocomplete="off" {...text("login")} />
        </Field>
      </div>
      <Field label="Password" hint={hasPassword ? "Set and hidden: leave blank to keep it." : undefined}>
        <input
          type="password"
          autocomplete="new-password"
          placeholder={hasPassword ? "unchanged" : ""}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <Field label="Extra (JSON object)" hint="Secret values show as ***: leave them as they are to keep them.">
        <textarea rows={4} spellcheck={false} {...text("extra")} />
      </Field>
    </FormDialog>
  );
}

function checkExtra(extra: string): void {
  if (!extra.trim()) return;
  let value: unknown;
  try {
    value = JSON.parse(extra);
  } catch (error) {
    throw new Error(`Extra is not valid JSON: ${messageOf(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error('Extra must be a JSON object, like {"timeout": 30}');
  }
}
