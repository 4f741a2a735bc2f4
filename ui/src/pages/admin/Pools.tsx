// The pools page: each pool's slots and what takes them (running, queued, scheduled, deferred),
// live; op and admin create, edit and delete pools. `default_pool` cannot be deleted: the API
// says so, and the dialog shows its message.
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
import type { Pool, PoolCollection } from "./adminTypes";

const PATH = "/pools";
const URL = "/api/v2/pools";
const poolUrl = (name: string) => `${URL}/${encodeURIComponent(name)}`;
const UNLIMITED = -1;

type Editing = { kind: "create" } | { kind: "edit"; pool: Pool } | { kind: "delete"; pool: Pool };

export function PoolsPage({ session }: { session: Session }) {
  const filters = readListFilters(useLocation().query);
  const key = listFiltersHref(PATH, filters);
  const canChange = may(session.role, "change", "pool");
  const [editing, setEditing] = useState<Editing | null>(null);
  const listing = useListing(
    (signal) =>
      get<PoolCollection>(
        URL,
        {
          pool_name_pattern: filters.search,
          order_by: "pool",
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
      <PageTitle title="Pools" count={data?.total_entries}>
        {canChange && (
          <button type="button" class="primary" onClick={() => setEditing({ kind: "create" })}>
            + Add pool
          </button>
        )}
      </PageTitle>
      <div class="toolbar">
        <SearchBox value={filters.search} label="Search pools" onSearch={(search) => updateListFilters(PATH, { search }, true)} />
      </div>
      <ErrorBanner error={listing.error} />
      {data && (
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
                {canChange && (
                  <th>
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
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
                      <button type="button" aria-label={`Edit ${pool.name}`} onClick={() => setEditing({ kind: "edit", pool })}>
                        Edit
                      </button>
                      <button type="button" aria-label={`Delete ${pool.name}`} onClick={() => setEditing({ kind: "delete", pool })}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {data.pools.length === 0 && <p class="empty muted">No pool matches this search.</p>}
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
      {editing?.kind === "create" && <PoolForm onClose={close} onSaved={(name) => done(`Pool ${name} created`)} />}
      {editing?.kind === "edit" && <PoolForm pool={editing.pool} onClose={close} onSaved={(name) => done(`Pool ${name} saved`)} />}
      {editing?.kind === "delete" && (
        <ConfirmDialog
          title="Delete pool"
          message={
            <>
              Delete pool <code>{editing.pool.name}</code>? Tasks assigned to it will not run until it exists again.
            </>
          }
          confirmLabel="Delete"
          onClose={close}
          onConfirm={async () => {
            await request("DELETE", poolUrl(editing.pool.name));
            done(`Pool ${editing.pool.name} deleted`);
          }}
        />
      )}
    </main>
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
