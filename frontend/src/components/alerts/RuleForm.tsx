// The form of a new or edited alert rule, generated from the server's description of each rule kind.
import { useState, type FormEvent } from "react";
import { alerting } from "../../api";
import type { AlertParamSpec, AlertRule, AlertRuleKind, AlertRuleKindSpec, AlertSeverity } from "../../api/types";
import {
  isChoiceParam,
  kindLabel,
  paramHint,
  paramLabel,
  placeRuleErrors,
  ruleCreateBody,
  ruleFormValues,
  rulePatch,
  type RuleFormValues,
} from "../../manager/alertRules";
import { Field, FieldErrorList, fieldAria } from "../FormField";
import { ErrorNote } from "../Layout";
import { useFormSave } from "../useFormSave";

export function RuleForm({
  projectId,
  kinds,
  rule,
  onCancel,
  onSaved,
}: {
  projectId: number;
  kinds: AlertRuleKindSpec[];
  /** The rule to edit; a new rule without. */
  rule?: AlertRule;
  onCancel: () => void;
  onSaved: (rule: AlertRule, created: boolean) => void;
}) {
  const initialSpec = (rule && kinds.find((k) => k.kind === rule.kind)) || kinds[0];
  const [values, setValues] = useState<RuleFormValues>(() => ruleFormValues(initialSpec, rule));
  const { errors, setErrors, clearError, detail, setDetail, busy, save: send } = useFormSave();
  const spec = kinds.find((k) => k.kind === values.kind);
  if (!spec) {
    return (
      <p className="error" data-testid="rule-form-error">
        This server does not describe the rule kind {values.kind}.
      </p>
    );
  }

  /** Applies a change and clears the errors of the field it is about. */
  const set = (patch: Partial<RuleFormValues>, clear: string) => {
    setValues((old) => ({ ...old, ...patch }));
    clearError(clear);
  };
  const chooseKind = (kind: AlertRuleKind) => {
    const next = kinds.find((k) => k.kind === kind);
    if (!next) return;
    setValues((old) => ({ ...ruleFormValues(next), name: old.name, severity: old.severity, enabled: old.enabled }));
    setErrors({});
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const built = rule ? rulePatch(values, spec, rule) : ruleCreateBody(values, spec);
    setErrors(built.errors);
    if (Object.keys(built.errors).length > 0) {
      setDetail("Some fields need attention.");
      return;
    }
    await send(async () => {
      if (rule) {
        const patch = (built as ReturnType<typeof rulePatch>).patch!;
        const saved = Object.keys(patch).length > 0 ? await alerting.updateRule(projectId, rule.id, patch) : rule;
        onSaved(saved, false);
      } else {
        onSaved(await alerting.createRule(projectId, (built as ReturnType<typeof ruleCreateBody>).body!), true);
      }
    }, (errors) => placeRuleErrors(errors, spec));
  };

  // The field of `rule-<name>`: its error list is `rule-<name>-error`, its test id `rule-error-<name>`.
  const field = (name: string, label: string) => ({
    htmlFor: `rule-${name}`,
    label,
    errors: errors[name],
    errorId: `rule-${name}-error`,
    errorTestId: `rule-error-${name}`,
  });
  return (
    <form className="rule-form" onSubmit={save} noValidate data-testid="rule-form" data-mode={rule ? "edit" : "create"}
      data-kind={values.kind}>
      <h3>{rule ? `Edit rule #${rule.id}` : "New rule"}</h3>
      <ErrorNote error={detail} testId="rule-form-error" />
      <FieldErrorList id="rule-error-form" messages={errors[""]} testId="rule-error-other" />
      <div className="form-row">
        <Field {...field("kind", "Kind")}>
          <select id="rule-kind" value={values.kind} disabled={!!rule} onChange={(e) => chooseKind(e.target.value as AlertRuleKind)}
            {...fieldAria(errors.kind, "rule-kind-error")} data-testid="rule-field-kind">
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {kindLabel(k.kind)}
              </option>
            ))}
          </select>
          {rule && <small className="muted">The kind of a rule cannot change; create a new rule instead.</small>}
        </Field>
        <Field {...field("name", "Name (optional)")}>
          <input id="rule-name" type="text" value={values.name} maxLength={200} placeholder={kindLabel(values.kind)}
            onChange={(e) => set({ name: e.target.value }, "name")} {...fieldAria(errors.name, "rule-name-error")}
            data-testid="rule-field-name" />
        </Field>
        <Field {...field("severity", "Severity")}>
          <select id="rule-severity" value={values.severity}
            onChange={(e) => set({ severity: e.target.value as AlertSeverity }, "severity")}
            {...fieldAria(errors.severity, "rule-severity-error")} data-testid="rule-field-severity">
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
        </Field>
        <label className="check">
          <input type="checkbox" checked={values.enabled} onChange={(e) => set({ enabled: e.target.checked }, "enabled")}
            data-testid="rule-field-enabled" />
          Enabled
        </label>
      </div>
      <fieldset className="rule-params">
        <legend>Parameters</legend>
        {Object.entries(spec.params).map(([name, p]) => (
          <ParamField key={name} name={name} spec={p} value={values.params[name] ?? ""} errors={errors[`params.${name}`]}
            onChange={(v) => set({ params: { ...values.params, [name]: v } }, `params.${name}`)} />
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-testid="rule-save">
          {busy ? "Saving…" : rule ? "Save rule" : "Create rule"}
        </button>
        <button type="button" onClick={onCancel} data-testid="rule-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}

/** One of the kind's parameters: a choice or a number, with its hint (meaning, default, range). */
function ParamField({
  name,
  spec,
  value,
  errors,
  onChange,
}: {
  name: string;
  spec: AlertParamSpec;
  value: string;
  errors: string[] | undefined;
  onChange: (value: string) => void;
}) {
  const id = `rule-param-${name}`;
  const control = { id, ...fieldAria(errors, `${id}-error`, `${id}-hint`), "data-testid": id };
  return (
    <Field htmlFor={id} label={paramLabel(name)} errors={errors} errorId={`${id}-error`} errorTestId={`rule-error-params.${name}`}>
      {isChoiceParam(spec) ? (
        <select {...control} value={value} onChange={(e) => onChange(e.target.value)}>
          {spec.choices!.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : (
        <input {...control} type="number" step="any" min={spec.min} max={spec.max} value={value}
          placeholder={String(spec.default)} onChange={(e) => onChange(e.target.value)} />
      )}
      <small id={`${id}-hint`} className="muted" data-testid={`rule-param-hint-${name}`}>
        {paramHint(spec)}
      </small>
    </Field>
  );
}
