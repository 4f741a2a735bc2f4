// What the admin pages share: a listing refreshed live, form and confirmation dialogs (the
// shared components/Dialog: forms scroll, confirmations are destructive), the page title, and
// list filters kept in the query string.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { isAbort, messageOf } from "../../api";
import { ConfirmDialog as SharedConfirmDialog, Dialog, type DialogProps } from "../../components/Dialog";
import { PAGE_SIZES } from "../../components/Pager";
import { usePolling } from "../../polling";
import { href, navigate } from "../../router";
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

export function listFiltersHref(path: string, filters: ListFilters): string {
  return href(path, {
    q: filters.search,
    page: filters.page > 1 ? String(filters.page) : undefined,
    size: filters.pageSize === PAGE_SIZES[0] ? undefined : String(filters.pageSize),
  });
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
