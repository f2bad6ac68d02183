import { useState, type FormEvent, type ReactNode } from "react";
import { projects } from "../api";
import type { Project } from "../api/types";
import { FieldErrorList } from "../components/FormField";
import { ErrorNote } from "../components/Layout";
import { useFormSave } from "../components/useFormSave";
import {
  lintFieldName,
  lintRulesFor,
  lintSettingLabel,
  parseForm,
  placeServerErrors,
  SETTING_GROUPS,
  toFormValues,
  type FormValues,
  type LintRuleSpec,
  type SettingField,
} from "../manager/settingsForm";
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
  const { errors, setErrors, detail, setDetail, busy, save: send } = useFormSave();
  const [saved, setSaved] = useState(false);

  if (!project.settings) return <p>Only managers can see this project's settings.</p>;
  const settings = project.settings;
  const set = (name: string, value: string) => {
    setSaved(false);
    setValues((old) => ({ ...old, [name]: value }));
  };

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
    await send(async () => {
      const updated = await projects.update(project.id, { settings: parsed.patch });
      setProject(updated);
      setValues(toFormValues(updated.settings ?? {}));
      setSaved(true);
    }, placeServerErrors);
  };

  return (
    <form className="card settings-form" onSubmit={save} noValidate data-testid="settings-form">
      <h1>Project settings</h1>
      <ErrorNote error={detail} testId="settings-detail" />
      <FieldErrorList id="settings-error-other" messages={errors[""]} testId="settings-error-other" />
      {SETTING_GROUPS.map((group) => (
        <fieldset key={group.title} className="settings-group">
          <legend>{group.title}</legend>
          {group.fields.map((field) => (
            <SettingInput key={field.name} field={field} value={values[field.name] ?? ""} errors={errors[field.name]}
              onChange={(v) => set(field.name, v)} />
          ))}
        </fieldset>
      ))}
      <fieldset className="settings-group" data-testid="settings-lint">
        <legend>Linters</legend>
        <p className="muted small">
          Checks run on every draft and submission. An error blocks submitting; a warning is stored with the
          annotation. Values left at their defaults follow future default changes.
        </p>
        <FieldErrorList id="setting-lint-error" messages={errors.lint} testId="settings-error-lint" />
        {lintRulesFor(project.kind).map((rule) => (
          <LintRule key={rule.code} rule={rule} values={values} errors={errors} onChange={set} />
        ))}
      </fieldset>
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

function SettingInput({
  field,
  value,
  errors,
  onChange,
}: {
  field: SettingField;
  value: string;
  errors: string[] | undefined;
  onChange: (value: string) => void;
}) {
  const id = `setting-${field.name}`;
  const describedBy = [field.help ? `${id}-help` : "", errors ? `${id}-error` : ""].filter(Boolean).join(" ");
  const common = {
    id,
    name: field.name,
    "aria-invalid": errors ? true : undefined,
    "aria-describedby": describedBy || undefined,
    "data-testid": `settings-field-${field.name}`,
  };
  let control: ReactNode;
  if (field.kind === "bool") {
    control = <input {...common} type="checkbox" checked={value === "true"} onChange={(e) => onChange(String(e.target.checked))} />;
  } else if (field.kind === "choice") {
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
        {!field.choices?.includes(value) && <option value={value}>{value}</option>}
        {field.choices?.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input {...common} type="number" value={value} min={field.min} max={field.max} step={field.step}
        onChange={(e) => onChange(e.target.value)} />
    );
  }
  return (
    <div className={`field${field.kind === "bool" ? " field-bool" : ""}${errors ? " invalid" : ""}`}>
      <label htmlFor={id}>{field.label}</label>
      {control}
      {field.help && (
        <small id={`${id}-help`} className="muted">
          {field.help}
        </small>
      )}
      <FieldErrorList id={`${id}-error`} messages={errors} testId={`settings-error-${field.name}`} />
    </div>
  );
}

function LintRule({
  rule,
  values,
  errors,
  onChange,
}: {
  rule: LintRuleSpec;
  values: FormValues;
  errors: Record<string, string[]>;
  onChange: (name: string, value: string) => void;
}) {
  const enabledKey = lintFieldName(rule.code, "enabled");
  const enabled = values[enabledKey] === "true";
  return (
    <div className={enabled ? "lint-rule" : "lint-rule disabled"} data-testid="settings-lint-rule" data-code={rule.code}>
      <div className="lint-rule-head">
        <label className="lint-toggle">
          <input
            type="checkbox"
            checked={enabled}
            onChange={(e) => onChange(enabledKey, String(e.target.checked))}
            data-testid={`settings-field-${enabledKey}`}
          />
          <code>{rule.code}</code>
        </label>
        <span className="muted small">{rule.description}</span>
      </div>
      <div className="lint-settings">
        {rule.settings
          .filter((s) => s.name !== "enabled")
          .map((spec) => {
            const key = lintFieldName(rule.code, spec.name);
            const id = `setting-${key.replace(/\./g, "-")}`;
            const fieldErrors = errors[key];
            const common = {
              id,
              disabled: !enabled,
              "aria-invalid": fieldErrors ? true : undefined,
              "aria-describedby": fieldErrors ? `${id}-error` : undefined,
              "data-testid": `settings-field-${key}`,
            };
            return (
              <div key={spec.name} className={fieldErrors ? "field invalid" : "field"}>
                <label htmlFor={id} title={spec.range ? `Allowed: ${spec.range}` : undefined}>
                  {lintSettingLabel(spec.name)}
                </label>
                {spec.type === "choice" ? (
                  <select {...common} value={values[key] ?? ""} onChange={(e) => onChange(key, e.target.value)}>
                    {spec.choices?.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                ) : spec.type === "bool" ? (
                  <input {...common} type="checkbox" checked={values[key] === "true"}
                    onChange={(e) => onChange(key, String(e.target.checked))} />
                ) : (
                  <input {...common} type="number" step={spec.type === "int" ? 1 : "any"} value={values[key] ?? ""}
                    placeholder={String(spec.default)} onChange={(e) => onChange(key, e.target.value)} />
                )}
                <FieldErrorList id={`${id}-error`} messages={fieldErrors} testId={`settings-error-${key}`} />
              </div>
            );
          })}
      </div>
    </div>
  );
}
