// Adds a webhook (its URL, an optional name and an optional signing secret) or edits one: a PATCH of only what
// changed. The secret is write-only: empty keeps the stored one, "Remove the secret" sends it empty.
import { useState, type FormEvent } from "react";
import { alerting } from "../../api";
import type { Webhook } from "../../api/types";
import {
  checkWebhook,
  placeWebhookErrors,
  webhookFormValues,
  webhookPatch,
  type WebhookFormValues,
} from "../../manager/webhooks";
import { Field, FieldErrorList, fieldAria } from "../FormField";
import { ErrorNote } from "../Layout";
import { useFormSave } from "../useFormSave";

export function WebhookForm({
  projectId,
  webhook,
  onSaved,
  onCancel,
}: {
  projectId: number;
  /** The webhook to edit; a new one without. */
  webhook?: Webhook;
  onSaved: (hook: Webhook, created: boolean) => void;
  /** Shown as a Cancel button (editing). */
  onCancel?: () => void;
}) {
  const [values, setValues] = useState<WebhookFormValues>(() => webhookFormValues(webhook));
  const { errors, setErrors, clearError, detail, setDetail, busy: saving, save } = useFormSave();
  const set = (change: Partial<WebhookFormValues>, field: string) => {
    setValues((old) => ({ ...old, ...change }));
    clearError(field);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    if (webhook) {
      const { patch, errors: own } = webhookPatch(values, webhook);
      setErrors(own);
      if (Object.keys(own).length > 0) return;
      await save(async () => {
        onSaved(Object.keys(patch).length > 0 ? await alerting.updateWebhook(projectId, webhook.id, patch) : webhook, false);
      }, placeWebhookErrors);
      return;
    }
    const own = checkWebhook(values.url);
    setErrors(own);
    if (Object.keys(own).length > 0) return;
    await save(async () => {
      const { url, name, secret } = values;
      const created = await alerting.createWebhook(projectId, { url: url.trim(), name: name.trim(), secret, active: true });
      setValues(webhookFormValues());
      onSaved(created, true);
    }, placeWebhookErrors);
  };

  // The field of `webhook-<name>`: its error list is `webhook-<name>-error`, its test id `webhook-error-<name>`.
  const field = (key: string, label: string) => ({
    htmlFor: `webhook-${key}`,
    label,
    errors: errors[key],
    errorId: `webhook-${key}-error`,
    errorTestId: `webhook-error-${key}`,
  });
  const secretHint = !webhook
    ? "Write-only: never shown again."
    : webhook.has_secret
      ? "Write-only: leave empty to keep the current secret."
      : "Write-only: leave empty to stay unsigned.";
  return (
    <>
      {webhook && <h3 id="webhook-edit-title">Edit webhook {webhook.name || `#${webhook.id}`}</h3>}
      <form className="webhook-form form-row" onSubmit={submit} noValidate data-testid="webhook-form"
        data-mode={webhook ? "edit" : "create"} data-webhook-id={webhook?.id}
        aria-labelledby={webhook ? "webhook-edit-title" : undefined}>
        <Field {...field("url", "URL")} className="field grow">
          <input id="webhook-url" type="url" value={values.url} placeholder="https://hooks.example.com/…" required
            autoFocus={!!webhook} {...fieldAria(errors.url, "webhook-url-error")}
            onChange={(e) => set({ url: e.target.value }, "url")} data-testid="webhook-field-url" />
        </Field>
        <Field {...field("name", "Name (optional)")}>
          <input id="webhook-name" type="text" value={values.name} maxLength={200}
            onChange={(e) => set({ name: e.target.value }, "name")} {...fieldAria(errors.name, "webhook-name-error")}
            data-testid="webhook-field-name" />
        </Field>
        <Field {...field("secret", webhook ? "New signing secret (optional)" : "Signing secret (optional)")}>
          <input id="webhook-secret" type="password" autoComplete="new-password" value={values.secret} maxLength={200}
            disabled={values.removeSecret} onChange={(e) => set({ secret: e.target.value }, "secret")}
            {...fieldAria(errors.secret, "webhook-secret-error", "webhook-secret-hint")} data-testid="webhook-field-secret" />
          <small id="webhook-secret-hint" className="muted">
            {secretHint}
          </small>
        </Field>
        {webhook?.has_secret && (
          <label className="check">
            <input type="checkbox" checked={values.removeSecret}
              onChange={(e) => set({ removeSecret: e.target.checked, secret: "" }, "secret")}
              data-testid="webhook-remove-secret" />
            Remove the secret (deliveries go unsigned)
          </label>
        )}
        <button type="submit" className="primary" disabled={saving} data-testid="webhook-save">
          {webhook ? (saving ? "Saving…" : "Save webhook") : saving ? "Adding…" : "Add webhook"}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel} data-testid="webhook-cancel">
            Cancel
          </button>
        )}
      </form>
      <ErrorNote error={detail} testId="webhook-form-error" />
      <FieldErrorList id="webhook-error-other" messages={errors[""] ?? errors.active} testId="webhook-error-other" />
    </>
  );
}
