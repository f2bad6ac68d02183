// A fetch stand-in for component tests: routes by "METHOD /path" (query string ignored), records every call.
import { vi } from "vitest";

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body (undefined for none and for multipart). */
  body: unknown;
  /** A multipart body as sent (null otherwise). */
  form: FormData | null;
  headers: Record<string, string>;
}

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
export type Route = Reply | ((call: RecordedCall) => Reply);

export function mockFetch(routes: Record<string, Route>) {
  const calls: RecordedCall[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://localhost");
    const method = (init.method ?? "GET").toUpperCase();
    const call: RecordedCall = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
      form: init.body instanceof FormData ? init.body : null,
      headers: (init.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const route = routes[`${method} ${url.pathname}`];
    if (!route) return new Response(JSON.stringify({ detail: `no mock for ${method} ${url.pathname}` }), { status: 404 });
    const reply = typeof route === "function" ? route(call) : route;
    if (reply.status === 204) return new Response(null, { status: 204, headers: reply.headers });
    const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: reply.headers });
  });
  vi.stubGlobal("fetch", fn);
  return {
    fn,
    calls,
    /** Calls to one route, e.g. callsTo("POST /api/v1/tasks/7/lint/"). */
    callsTo: (key: string) => calls.filter((c) => `${c.method} ${c.path}` === key),
  };
}
