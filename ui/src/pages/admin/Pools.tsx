// The pools page: each pool's slots and what takes them (running, queued, scheduled, deferred),
// live; op and admin create, edit and delete pools. `default_pool` cannot be deleted: the API
// says so, and the dialog shows its message.
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
import type { Pool, PoolCollection } from "./adminTypes";

const PATH = "/pools";
const URL = "/api/v2/pools";
const poolUrl = (name: string) => `${URL}/${encodeURIComponent(name)}`;
const UNLIMITED = -1;

type Editing = { kind: "create" } | { kind: "edit"; pool: Pool } | { kind: "delete"; pool: Pool };

export function PoolsPage({ session }: { session: Session }) {
  const canChange = may(session.role, "change", "pool");
  const { filters, listing, paging } = usePagedListing<PoolCollection>(PATH, URL, (search) => ({
    pool_name_pattern: search,
    order_by: "pool",
  }));
  const { editing, setEditing, close, done } = useEditing<Editing>(listing.refresh);

  return (
    <AdminListPage
      title="Pools"
      listing={listing}
      addLabel="+ Add pool"
      onAdd={canChange ? () => setEditing({ kind: "create" }) : undefined}
      toolbar={<SearchToolbar path={PATH} value={filters.search} label="Search pools" />}
      dialogs={
        <>
          {editing?.kind === "create" && <PoolForm onClose={close} onSaved={(name) => done(`Pool ${name} created`)} />}
          {editing?.kind === "edit" && <PoolForm pool={editing.pool} onClose={close} onSaved={(name) => done(`Pool ${name} saved`)} />}
          {editing?.kind === "delete" && (
            <DeleteDialog
              noun="pool"
              name={editing.pool.name}
              consequence="Tasks assigned to it will not run until it exists again."
              url={poolUrl(editing.pool.name)}
              onClose={close}
              onDeleted={done}
            />
          )}
        </>
      }
    >
      {(data) => (
        <>
          <table class="admin-table" aria-label="Pools">
            <thead>
              <tr>
                <th>Pool</th>
                <th class="num">Slots</th>
                <th class="num">Occupied</th>
                <th class="num">Running</th>
                <th class="num">Queued</th>
                <th class="num">Scheduled</th>
                <th class="num">Deferred</th>
                <th class="num">Open</th>
                <th>Counts deferred</th>
                <th>Description</th>
                {canChange && <ActionsHeader />}
              </tr>
            </thead>
            <tbody>
              {data.pools.map((pool) => (
                <tr key={pool.name} data-pool={pool.name}>
                  <td>
                    <code>{pool.name}</code>
                  </td>
                  <td class="num" data-col="slots">
                    {slotsText(pool.slots)}
                  </td>
                  <td class="num" data-col="occupied">{pool.occupied_slots}</td>
                  <td class="num" data-col="running">{pool.running_slots}</td>
                  <td class="num" data-col="queued">{pool.queued_slots}</td>
                  <td class="num" data-col="scheduled">{pool.scheduled_slots}</td>
                  <td class="num" data-col="deferred">{pool.deferred_slots}</td>
                  <td class="num" data-col="open">
                    {pool.slots === UNLIMITED ? "∞" : pool.open_slots}
                  </td>
                  <td>{pool.include_deferred ? "yes" : "no"}</td>
                  <td>
                    <Clipped text={pool.description ?? ""} />
                  </td>
                  {canChange && (
                    <td class="actions">
                      <EditDeleteButtons
                        name={pool.name}
                        onEdit={() => setEditing({ kind: "edit", pool })}
                        onDelete={() => setEditing({ kind: "delete", pool })}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <ListTail shown={data.pools.length} total={data.total_entries} emptyText="No pool matches this search." {...paging} />
        </>
      )}
    </AdminListPage>
  );
}

function slotsText(slots: number): string {
  return slots === UNLIMITED ? "unlimited" : String(slots);
}

interface FormProps {
  /** The pool to edit; none to create one. */
  pool?: Pool;
  onClose: () => void;
  onSaved: (name: string) => void;
}

function PoolForm({ pool, onClose, onSaved }: FormProps) {
  const [name, setName] = useState(pool?.name ?? "");
  const [slots, setSlots] = useState(String(pool?.slots ?? 128));
  const [description, setDescription] = useState(pool?.description ?? "");
  const [includeDeferred, setIncludeDeferred] = useState(pool?.include_deferred ?? false);

  const save = async () => {
    const count = Number(slots);
    if (slots.trim() === "" || !Number.isInteger(count) || count < UNLIMITED) {
      throw new Error("Slots must be a whole number of 0 or more, or -1 for unlimited");
    }
    const fields = { slots: count, description: description || null, include_deferred: includeDeferred };
    if (pool) await request("PATCH", poolUrl(pool.name), { body: fields });
    else await request("POST", URL, { body: { name: name.trim(), ...fields } });
    onSaved(pool?.name ?? name.trim());
  };

  return (
    <FormDialog title={pool ? `Edit pool ${pool.name}` : "Add pool"} submitLabel="Save" onSubmit={save} onClose={onClose}>
      <Field label="Name">
        <input value={name} required readOnly={pool !== undefined} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Slots" hint="How many task instances may run in it at once; -1 for unlimited.">
        <input type="number" min={UNLIMITED} step={1} required value={slots} onInput={(e) => setSlots(e.currentTarget.value)} />
      </Field>
      <Field label="Description">
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={includeDeferred} onChange={(e) => setIncludeDeferred(e.currentTarget.checked)} />
        Deferred tasks take a slot
      </label>
    </FormDialog>
  );
}
