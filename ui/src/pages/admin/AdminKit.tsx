// What the admin pages share: a listing refreshed live, the list page's frame (title with count
// and add button, toolbar, error banner, "Loading…", the empty message and the pager), form and
// confirmation dialogs (the shared components/Dialog: forms scroll, confirmations are
// destructive), and list filters kept in the query string.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, isAbort, messageOf, type Query, request } from "../../api";
import { ConfirmDialog as SharedConfirmDialog, Dialog, type DialogProps } from "../../components/Dialog";
import { PAGE_SIZES, Pager } from "../../components/Pager";
import { notify } from "../../notices";
import { usePolling } from "../../polling";
import { href, navigate, useLocation } from "../../router";
import "./admin.css";

export interface Listing<T> {
  data: T | null;
  /** The API's message when the last load failed (e.g. a 403 for the role). */
  error: string | null;
  refresh: () => void;
}

/** `load`'s answer, fetched again every few seconds and whenever `key` changes. */
export function useListing<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Listing<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = usePolling(async (signal) => {
    try {
      setData(await load(signal));
      setError(null);
    } catch (failure) {
      if (isAbort(failure)) throw failure;
      setError(messageOf(failure));
    }
  }, key);
  return { data, error, refresh };
}

/** Which dialog of a page is open (none when null); `done` says what changed and reloads the list. */
export function useEditing<E>(refresh: () => void) {
  const [editing, setEditing] = useState<E | null>(null);
  const close = () => setEditing(null);
  const done = (text: string) => {
    notify(text);
    refresh();
  };
  return { editing, setEditing, close, done };
}

/**
 * A page of `url`'s collection as the URL's list filters of `path` ask (search text, page, page
 * size); `query` turns the search text into the endpoint's own parameters (pattern, order).
 */
export function usePagedListing<T>(path: string, url: string, query: (search: string) => Query) {
  const filters = readListFilters(useLocation().query);
  const listing = useListing(
    (signal) =>
      get<T>(url, { ...query(filters.search), limit: filters.pageSize, offset: (filters.page - 1) * filters.pageSize }, signal),
    listFiltersHref(path, filters),
  );
  const paging: Paging = {
    page: filters.page,
    pageSize: filters.pageSize,
    onPage: (page) => updateListFilters(path, { page }),
    onPageSize: (pageSize) => updateListFilters(path, { pageSize }),
  };
  return { filters, listing, paging };
}

interface AdminListPageProps<T extends { total_entries: number }> {
  title: string;
  listing: Listing<T>;
  /** Buttons of the title bar before the add button. */
  actions?: ComponentChildren;
  addLabel?: string;
  /** Absent when the role may not add. */
  onAdd?: () => void;
  toolbar?: ComponentChildren;
  /** The list once loaded: its table, empty message and pager. */
  children: (data: T) => ComponentChildren;
  dialogs?: ComponentChildren;
}

/** The frame of an admin list page around its own table and dialogs. */
export function AdminListPage<T extends { total_entries: number }>(props: AdminListPageProps<T>) {
  const { data, error } = props.listing;
  return (
    <main class="page">
      <PageTitle title={props.title} count={data?.total_entries}>
        {props.actions}
        {props.onAdd && (
          <button type="button" class="primary" onClick={props.onAdd}>
            {props.addLabel}
          </button>
        )}
      </PageTitle>
      {props.toolbar}
      <ErrorBanner error={error} />
      {data && props.children(data)}
      {!data && !error && <p class="muted">Loading…</p>}
      {props.dialogs}
    </main>
  );
}

/** The hidden-titled header of a table's column of row buttons. */
export function ActionsHeader() {
  return (
    <th>
      <span class="visually-hidden">Actions</span>
    </th>
  );
}

export interface Paging {
  page: number;
  pageSize: number;
  onPage: (page: number) => void;
  onPageSize: (pageSize: number) => void;
}

/** What follows a list's table: `emptyText` when no row is shown, then the pager. */
export function ListTail({ shown, total, emptyText, ...paging }: Paging & { shown: number; total: number; emptyText: string }) {
  return (
    <>
      {shown === 0 && <p class="empty muted">{emptyText}</p>}
      <Pager total={total} {...paging} />
    </>
  );
}

/** The toolbar of a list searched by one text kept in the URL's filters of `path`. */
export function SearchToolbar({ path, value, label }: { path: string; value: string; label: string }) {
  return (
    <div class="toolbar">
      <SearchBox value={value} label={label} onSearch={(search) => updateListFilters(path, { search }, true)} />
    </div>
  );
}

export function PageTitle({ title, count, children }: { title: string; count?: number; children?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1>{title}</h1>
      {count !== undefined && <span class="muted count">{count.toLocaleString()}</span>}
      <span class="spacer" />
      {children}
    </div>
  );
}

export function ErrorBanner({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="banner banner-error" role="alert">
      {error}
    </p>
  );
}

/** A modal form of an admin page (its fields scroll when taller than the window). */
export function FormDialog(props: Omit<DialogProps, "scroll" | "class">) {
  return <Dialog {...props} scroll />;
}

interface ConfirmProps {
  title: string;
  message: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** Confirms a destructive change (a delete). */
export function ConfirmDialog({ message, ...rest }: ConfirmProps) {
  return (
    <SharedConfirmDialog {...rest} danger>
      <p>{message}</p>
    </SharedConfirmDialog>
  );
}

interface DeleteDialogProps {
  /** What is deleted, in lower case: "pool". */
  noun: string;
  name: string;
  /** What deleting it breaks, said after the question. */
  consequence: string;
  /** The API path to DELETE. */
  url: string;
  onClose: () => void;
  onDeleted: (text: string) => void;
}

/** Asks before deleting one named item, deletes it and says so. */
export function DeleteDialog({ noun, name, consequence, url, onClose, onDeleted }: DeleteDialogProps) {
  return (
    <ConfirmDialog
      title={`Delete ${noun}`}
      message={
        <>
          Delete {noun} <code>{name}</code>? {consequence}
        </>
      }
      confirmLabel="Delete"
      onClose={onClose}
      onConfirm={async () => {
        await request("DELETE", url);
        onDeleted(`${noun[0].toUpperCase()}${noun.slice(1)} ${name} deleted`);
      }}
    />
  );
}

/** The Edit and Delete buttons of the row of `name`. */
export function EditDeleteButtons({ name, onEdit, onDelete }: { name: string; onEdit: () => void; onDelete: () => void }) {
  return (
    <>
      <button type="button" aria-label={`Edit ${name}`} onClick={onEdit}>
        Edit
      </button>
      <button type="button" aria-label={`Delete ${name}`} onClick={onDelete}>
        Delete
      </button>
    </>
  );
}

/** A labelled form field; `hint` explains what the field expects. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label>
        <span class="field-label">{label}</span>
        {children}
      </label>
      {hint && <span class="field-hint muted">{hint}</span>}
    </div>
  );
}

export interface ListFilters {
  search: string;
  page: number;
  pageSize: number;
}

export function readListFilters(query: URLSearchParams): ListFilters {
  const page = Number(query.get("page"));
  const size = Number(query.get("size"));
  return {
    search: query.get("q") ?? "",
    page: Number.isInteger(page) && page > 0 ? page : 1,
    pageSize: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
  };
}

/** The query parameters of a page and page size, left out at their defaults. */
export function pageParams({ page, pageSize }: { page: number; pageSize: number }): Record<"page" | "size", string | undefined> {
  return {
    page: page > 1 ? String(page) : undefined,
    size: pageSize === PAGE_SIZES[0] ? undefined : String(pageSize),
  };
}

export function listFiltersHref(path: string, filters: ListFilters): string {
  return href(path, { q: filters.search, ...pageParams(filters) });
}

/** Changes some list filters of the current URL (back to page 1 unless the page is given). */
export function updateListFilters(path: string, changes: Partial<ListFilters>, replace = false): void {
  const now = readListFilters(new URLSearchParams(window.location.search));
  navigate(listFiltersHref(path, { ...now, page: 1, ...changes }), { replace });
}

/** A search field whose text reaches `onSearch` a moment after typing stops. */
export function SearchBox({ value, label, onSearch }: { value: string; label: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => onSearch(text), 250);
    return () => window.clearTimeout(timer);
  }, [text]);
  return (
    <input
      type="search"
      class="search"
      placeholder={label}
      aria-label={label}
      value={text}
      onInput={(event) => setText(event.currentTarget.value)}
    />
  );
}

/** `text` cut to `max` characters, with the whole of it on hover. */
export function Clipped({ text, max = 80 }: { text: string; max?: number }) {
  return text.length <= max ? <>{text}</> : <span title={text}>{text.slice(0, max)}…</span>;
}
