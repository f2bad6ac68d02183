import { useState, type FormEvent } from "react";
import { ApiError, errorMessage, projects } from "../api";
import type { Project } from "../api/types";
import { parseForm, placeServerErrors, SETTING_FIELDS, toFormValues, type FormValues } from "../manager/settingsForm";
import { ManagerPage } from "./ManagerPage";

export function SettingsPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="settings">
      {(project) => <SettingsForm key={project.id} project={project} />}
    </ManagerPage>
  );
}

export function SettingsForm({ project: initial }: { project: Project }) {
  const [project, setProject] = useState(initial);
  const [values, setValues] = useState<FormValues>(() => toFormValues(initial.settings ?? {}));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  if (!project.settings) return <p>Only managers can see this project's settings.</p>;
  const settings = project.settings;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    setDetail(null);
    const parsed = parseForm(values, settings);
    setErrors(parsed.errors);
    if (Object.keys(parsed.errors).length > 0) {
      setDetail("Some fields need attention.");
      return;
    }
    if (Object.keys(parsed.patch).length === 0) {
      setSaved(true);
      return;
    }
    setBusy(true);
    try {
      const updated = await projects.update(project.id, { settings: parsed.patch });
      setProject(updated);
      setValues(toFormValues(updated.settings ?? {}));
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(placeServerErrors(err.body.errors));
        setDetail(err.message);
      } else {
        setDetail(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card settings-form" onSubmit={save} noValidate data-testid="settings-form">
      <h1>Project settings</h1>
      {detail && (
        <p className="error" role="alert" data-testid="settings-detail">
          {detail}
        </p>
      )}
      {errors[""] && (
        <ul className="error" data-testid="settings-error-other">
          {errors[""].map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {SETTING_FIELDS.map((field) => {
        const id = `setting-${field.name}`;
        const fieldErrors = errors[field.name];
        const describedBy = [field.help ? `${id}-help` : "", fieldErrors ? `${id}-error` : ""].filter(Boolean).join(" ");
        const common = {
          id,
          name: field.name,
          value: values[field.name] ?? "",
          "aria-invalid": fieldErrors ? true : undefined,
          "aria-describedby": describedBy || undefined,
          "data-testid": `settings-field-${field.name}`,
        };
        const set = (v: string) => setValues((old) => ({ ...old, [field.name]: v }));
        return (
          <div key={field.name} className={fieldErrors ? "field invalid" : "field"}>
            <label htmlFor={id}>{field.label}</label>
            {field.kind === "choice" ? (
              <select {...common} onChange={(e) => set(e.target.value)}>
                {!field.choices?.includes(values[field.name]) && <option value={values[field.name]}>{values[field.name]}</option>}
                {field.choices?.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            ) : field.kind === "json" ? (
              <textarea {...common} rows={6} spellCheck={false} onChange={(e) => set(e.target.value)} />
            ) : (
              <input
                {...common}
                type="number"
                min={field.min}
                max={field.max}
                step={field.step}
                onChange={(e) => set(e.target.value)}
              />
            )}
            {field.help && (
              <small id={`${id}-help`} className="muted">
                {field.help}
              </small>
            )}
            {fieldErrors && (
              <ul id={`${id}-error`} className="field-errors" data-testid={`settings-error-${field.name}`}>
                {fieldErrors.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="settings-save">
          {busy ? "Saving…" : "Save settings"}
        </button>
        {saved && (
          <span className="ok-text" role="status" data-testid="settings-saved">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
