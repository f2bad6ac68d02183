export * from "./types";
export { ApiError, apiRequest, errorMessage, ensureCsrf, readCookie, resetCsrf } from "./http";
export { auth, projects, tasks, manager } from "./client";
export type { FindingsQuery } from "./client";
