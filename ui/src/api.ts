// The one way the UI talks to the server: JSON over fetch, with the session's bearer token.
// A 401 (no, expired or revoked token) ends the session and goes back to the login page.
import { currentToken } from "./session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

interface Options {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** What to ask for: JSON (the default, parsed) or plain text (returned as a string). */
  accept?: "json" | "text";
}

let whenUnauthorized: () => void = () => {};

/** What to do when the server answers 401 to a logged-in request. */
export function onUnauthorized(handler: () => void): void {
  whenUnauthorized = handler;
}

/** Ends the session as a 401 would: back to the login page (e.g. once one's own role changed). */
export function endSession(): void {
  whenUnauthorized();
}

export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => params.append(name, item));
    else params.append(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * Sends a request and returns its answer (JSON parsed, or the text with `accept: "text"`). An
 * error answer throws an ApiError with the server's message; once `signal` is aborted the call
 * throws an abort error even if the answer has arrived, so an unwanted answer never lands.
 */
export async function request<T>(method: string, path: string, options: Options = {}): Promise<T> {
  const text = options.accept === "text";
  const headers: Record<string, string> = { Accept: text ? "text/plain" : "application/json" };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(path + queryString(options.query), {
    method,
    headers,
    body,
    signal: options.signal,
  });
  if (response.status === 401 && token) whenUnauthorized();
  if (!response.ok) {
    const message = await errorMessage(response);
    options.signal?.throwIfAborted();
    throw new ApiError(response.status, message);
  }
  const answer = response.status === 204 ? undefined : text ? await response.text() : await response.json();
  options.signal?.throwIfAborted();
  return answer as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>("GET", path, { query, signal });

/** The `detail` of an error answer: a message, or FastAPI's list of invalid fields. */
async function errorMessage(response: Response): Promise<string> {
  let detail: unknown;
  try {
    detail = ((await response.json()) as { detail?: unknown }).detail;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item: { loc?: unknown[]; msg?: string }) => {
        const where = (item.loc ?? []).slice(1).join(".");
        return where ? `${where}: ${item.msg}` : String(item.msg);
      })
      .join("; ");
  }
  return `${response.status} ${response.statusText}`;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
