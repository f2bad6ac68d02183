// Adds a webhook: its URL, an optional name and an optional signing secret (write-only).
import { useState, type FormEvent } from "react";
import { alerting } from "../../api";
import { checkWebhook, placeWebhookErrors } from "../../manager/webhooks";
import { Field, FieldErrorList, fieldAria } from "../FormField";
import { ErrorNote } from "../Layout";
import { useFormSave } from "../useFormSave";

export function WebhookForm({ projectId, onCreated }: { projectId: number; onCreated: () => void }) {
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [secret, setSecret] = useState("");
  const { errors, setErrors, detail, setDetail, busy: saving, save } = useFormSave();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const own = checkWebhook(url);
    setErrors(own);
    if (Object.keys(own).length > 0) return;
    await save(async () => {
      await alerting.createWebhook(projectId, { url: url.trim(), name: name.trim(), secret, active: true });
      setUrl("");
      setName("");
      setSecret("");
      onCreated();
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
  return (
    <>
      <form className="webhook-form form-row" onSubmit={create} noValidate data-testid="webhook-form">
        <Field {...field("url", "URL")} className="field grow">
          <input id="webhook-url" type="url" value={url} placeholder="https://hooks.example.com/…" required
            {...fieldAria(errors.url, "webhook-url-error")} onChange={(e) => setUrl(e.target.value)}
            data-testid="webhook-field-url" />
        </Field>
        <Field {...field("name", "Name (optional)")}>
          <input id="webhook-name" type="text" value={name} maxLength={200} onChange={(e) => setName(e.target.value)}
            {...fieldAria(errors.name, "webhook-name-error")} data-testid="webhook-field-name" />
        </Field>
        <Field {...field("secret", "Signing secret (optional)")}>
          <input id="webhook-secret" type="password" autoComplete="new-password" value={secret} maxLength={200}
            onChange={(e) => setSecret(e.target.value)} {...fieldAria(errors.secret, "webhook-secret-error", "webhook-secret-hint")}
            data-testid="webhook-field-secret" />
          <small id="webhook-secret-hint" className="muted">
            Write-only: never shown again.
          </small>
        </Field>
        <button type="submit" className="primary" disabled={saving} data-testid="webhook-save">
          {saving ? "Adding…" : "Add webhook"}
        </button>
      </form>
      <ErrorNote error={detail} testId="webhook-form-error" />
      <FieldErrorList id="webhook-error-other" messages={errors[""] ?? errors.active} testId="webhook-error-other" />
    </>
  );
}
