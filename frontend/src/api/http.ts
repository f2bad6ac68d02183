// fetch wrapper: session auth with CSRF (docs/api.md, "Auth"), one error type for every 4xx/5xx.
import type { ErrorBody } from "./types";

export const API_ROOT = "/api/v1";

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(body.detail || `Request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }

  /** Messages for one field path, e.g. "settings.benchmark_rate". */
  fieldErrors(path: string): string[] {
    return this.body.errors?.[path] ?? [];
  }
}

export function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

let csrfPromise: Promise<void> | null = null;

/** GET /auth/csrf/ once per page load so the csrftoken cookie is set. */
export function ensureCsrf(): Promise<void> {
  if (!csrfPromise) {
    csrfPromise = fetch(`${API_ROOT}/auth/csrf/`, { credentials: "same-origin" }).then(
      () => undefined,
      (err: unknown) => {
        csrfPromise = null;
        throw err;
      },
    );
  }
  return csrfPromise;
}

/** For tests: forget that the CSRF cookie was fetched. */
export function resetCsrf(): void {
  csrfPromise = null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type Query = Record<string, string | number | boolean | null | undefined>;

export function buildUrl(path: string, query?: Query): string {
  const url = `${API_ROOT}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

export interface RequestOptions {
  /** Sent as JSON, except a FormData, which goes as multipart (the browser sets its Content-Type and boundary). */
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

/** Sends one request; resolves to the parsed JSON body, or null for 204; throws ApiError otherwise. */
export async function apiRequest<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | null> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const unsafe = !SAFE_METHODS.has(method);
  if (unsafe) {
    await ensureCsrf();
    // Read the cookie on every request: Django rotates the token at login.
    const token = readCookie("csrftoken");
    if (token) headers["X-CSRFToken"] = token;
  }
  let body: string | FormData | undefined;
  if (typeof FormData !== "undefined" && options.body instanceof FormData) {
    body = options.body; // no Content-Type: fetch writes multipart/form-data with its boundary
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(buildUrl(path, options.query), {
    method,
    headers,
    body,
    credentials: "same-origin",
    signal: options.signal,
  });
  if (response.status === 204) return null;
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const errorBody: ErrorBody =
      data && typeof data === "object" ? (data as ErrorBody) : { detail: `Request failed (${response.status})` };
    throw new ApiError(response.status, errorBody);
  }
  return data as T;
}

/** The message to show a person for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
