export * from "./types";
export { ApiError, apiRequest, errorMessage, ensureCsrf, onServerBusy, readCookie, resetCsrf, serverBusy } from "./http";
export { accounts, alerting, auth, exchange, importFormData, jobs, manager, projects, tasks } from "./client";
export type { FindingsQuery, ImportRequest, ListWindow } from "./client";
