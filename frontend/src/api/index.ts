export * from "./types";
export { ApiError, apiRequest, errorMessage, ensureCsrf, readCookie, resetCsrf } from "./http";
export { auth, jobs, manager, projects, tasks } from "./client";
export type { FindingsQuery } from "./client";
