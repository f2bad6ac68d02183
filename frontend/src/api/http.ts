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
  /** The request may be repeated whatever the answer (e.g. next-task: any number of calls answer the same task). */
  idempotent?: boolean;
}

// Retrying a busy server (docs/api.md: 503 and 429 carry Retry-After). A request safe to repeat (GET, HEAD,
// OPTIONS, or one marked idempotent) is repeated after 503, 429 and 409-with-Retry-After (a lost race, rolled
// back). Any other request only after 429 (the rate limit acts before any work) or a 503 marked by the load
// shedder (X-Load-Shed: nothing ran); never after a 503 from a store that failed part-way, nor after a 500.
export const RETRY = {
  /** Attempts in all, the first included. */
  attempts: 4,
  /** No single wait is longer (ms), whatever Retry-After says. */
  maxDelayMs: 10_000,
  /** The wait when Retry-After is missing or unreadable (ms); doubles per attempt. */
  defaultDelayMs: 1_000,
  /** Up to this fraction is added at random to each wait, so shed clients do not come back together. */
  jitter: 0.5,
};

export const SHED_HEADER = "X-Load-Shed";

/** The wait Retry-After asks for, in ms (seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function retryable(idempotent: boolean, response: Response): boolean {
  if (response.status === 429) return true;
  if (response.status === 503) return idempotent || response.headers.get(SHED_HEADER) === "1";
  if (response.status === 409) return idempotent && response.headers.has("Retry-After");
  return false;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): Retry-After, capped, plus jitter. */
export function retryDelayMs(response: Response, attempt: number, random: () => number = Math.random): number {
  const asked = retryAfterMs(response.headers.get("Retry-After"));
  const base = asked ?? RETRY.defaultDelayMs * 2 ** (attempt - 1);
  return Math.min(RETRY.maxDelayMs, base * (1 + RETRY.jitter * random()));
}

// "Server busy, retrying": how many requests are now waiting to be repeated; the UI shows a notice while any are.
let waiting = 0;
const busyListeners = new Set<(busy: boolean) => void>();

function waitingAdd(delta: number): void {
  const before = waiting > 0;
  waiting += delta;
  const after = waiting > 0;
  if (before !== after) for (const listener of busyListeners) listener(after);
}

/** Calls `listener(true)` when a request starts waiting to be retried and `listener(false)` when none is. */
export function onServerBusy(listener: (busy: boolean) => void): () => void {
  busyListeners.add(listener);
  return () => {
    busyListeners.delete(listener);
  };
}

export function serverBusy(): boolean {
  return waiting > 0;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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
  const url = buildUrl(path, options.query);
  const idempotent = !unsafe || options.idempotent === true;
  let response: Response;
  for (let attempt = 1; ; attempt++) {
    response = await fetch(url, { method, headers, body, credentials: "same-origin", signal: options.signal });
    if (attempt >= RETRY.attempts || !retryable(idempotent, response)) break;
    waitingAdd(1);
    try {
      await sleep(retryDelayMs(response, attempt), options.signal);
    } finally {
      waitingAdd(-1);
    }
  }
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
