// Pure logic of the webhook form: its own check of the URL, and where the server's field errors go.
import type { FieldErrors } from "./exchange";

const WEBHOOK_FIELDS = ["url", "name", "secret", "active"] as const;

/** The form's own checks before anything is sent (the server checks the URL further). */
export function checkWebhook(url: string): FieldErrors {
  return /^https?:\/\/\S+$/i.test(url.trim()) ? {} : { url: ["must be an http:// or https:// URL"] };
}

/** The server's errors by field; paths the form has no field for go to "" (shown under the form). */
export function placeWebhookErrors(errors: FieldErrors | undefined): FieldErrors {
  const placed: FieldErrors = {};
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const key = (WEBHOOK_FIELDS as readonly string[]).includes(path) ? path : "";
    (placed[key] ??= []).push(...messages);
  }
  return placed;
}
