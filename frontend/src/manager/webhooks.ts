// Pure logic of the webhook form: its own check of the URL, the PATCH of an edit, and where the server's field
// errors go.
import type { Webhook, WebhookInput } from "../api/types";
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

/** What the form holds: the secret is write-only, so it starts empty and empty means "keep the stored one". */
export interface WebhookFormValues {
  url: string;
  name: string;
  secret: string;
  /** Send `secret: ""`: the webhook's deliveries go unsigned. */
  removeSecret: boolean;
}

export function webhookFormValues(hook?: Webhook): WebhookFormValues {
  return { url: hook?.url ?? "", name: hook?.name ?? "", secret: "", removeSecret: false };
}

/** The PATCH of an edited webhook, only the fields that changed (empty when nothing did), or the form's errors. */
export function webhookPatch(
  values: WebhookFormValues,
  hook: Webhook,
): { patch: Partial<WebhookInput>; errors: FieldErrors } {
  const errors = checkWebhook(values.url);
  const patch: Partial<WebhookInput> = {};
  if (Object.keys(errors).length > 0) return { patch, errors };
  const url = values.url.trim();
  const name = values.name.trim();
  if (url !== hook.url) patch.url = url;
  if (name !== hook.name) patch.name = name;
  if (values.removeSecret) {
    if (hook.has_secret) patch.secret = "";
  } else if (values.secret !== "") {
    patch.secret = values.secret;
  }
  return { patch, errors };
}
