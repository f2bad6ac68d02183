export * from "./types";
export { ApiError, apiRequest, errorMessage, ensureCsrf, readCookie, resetCsrf } from "./http";
export { accounts, alerting, auth, exchange, importFormData, jobs, manager, projects, tasks } from "./client";
export type { FindingsQuery, ImportRequest, ListWindow } from "./client";
