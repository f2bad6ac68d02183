// Pure logic of the alert rule form, generated from `GET alert-rules/kinds/` (each parameter's default, range or
// choices and help): the form's values, its own checks (worded as annotation_qc/domain/alert_params.py words them),
// the create body and the PATCH of only what changed.
import type {
  AlertParamSpec,
  AlertParamValue,
  AlertRule,
  AlertRuleInput,
  AlertRuleKind,
  AlertRuleKindSpec,
  AlertRulePatch,
  AlertSeverity,
} from "../api/types";

export const KIND_LABELS: Record<AlertRuleKind, string> = {
  annotator_accuracy_below: "Annotator accuracy below a threshold",
  agreement_below: "Agreement (alpha) below a threshold",
  lint_error_rate_above: "Linter finding rate above a threshold",
  label_distribution_shift: "Label distribution shift",
  queue_dry: "Label queue running dry",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as AlertRuleKind] ?? kind.replace(/_/g, " ");
}

/** "min_benchmarks" -> "Min benchmarks". */
export function paramLabel(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function isChoiceParam(spec: AlertParamSpec): boolean {
  return Array.isArray(spec.choices);
}

/** "above 0 and at most 1", "at least 1 and at most 100000", "one of point, upper". */
export function paramRange(spec: AlertParamSpec): string | null {
  if (isChoiceParam(spec)) return `one of ${spec.choices!.join(", ")}`;
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`${spec.min_exclusive ? "above" : "at least"} ${spec.min}`);
  if (spec.max !== undefined) parts.push(`at most ${spec.max}`);
  return parts.length ? parts.join(" and ") : null;
}

/** The field's hint: what it means, its default and what it takes. */
export function paramHint(spec: AlertParamSpec): string {
  const range = paramRange(spec);
  const help = /[.!?]$/.test(spec.help.trim()) ? spec.help.trim() : `${spec.help.trim()}.`;
  return `${help} Default ${spec.default}${range ? `; ${range}` : ""}.`;
}

/** The form's value for a parameter, or the message the server would give for it. */
export function checkParam(spec: AlertParamSpec, raw: string): { value: AlertParamValue } | { error: string } {
  if (isChoiceParam(spec)) {
    return spec.choices!.includes(raw) ? { value: raw } : { error: `must be one of ${spec.choices!.join(", ")}` };
  }
  const text = raw.trim();
  if (text === "") return { error: "required" };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `must be a number, got ${text}` };
  if (spec.min !== undefined && (spec.min_exclusive ? value <= spec.min : value < spec.min)) {
    return { error: `must be ${spec.min_exclusive ? "above" : "at least"} ${spec.min}` };
  }
  if (spec.max !== undefined && value > spec.max) return { error: `must be at most ${spec.max}` };
  return { value };
}

export interface RuleFormValues {
  kind: AlertRuleKind;
  name: string;
  severity: AlertSeverity;
  enabled: boolean;
  /** As typed, by parameter name. */
  params: Record<string, string>;
}

/** A new rule of `spec`'s kind with its defaults, or an existing rule's current values. */
export function ruleFormValues(spec: AlertRuleKindSpec, rule?: AlertRule): RuleFormValues {
  const params: Record<string, string> = {};
  for (const [name, p] of Object.entries(spec.params)) {
    const current = rule?.params[name];
    params[name] = String(current ?? p.default);
  }
  return {
    kind: spec.kind,
    name: rule?.name ?? "",
    severity: rule?.severity ?? "warning",
    enabled: rule?.enabled ?? true,
    params,
  };
}

export type RuleErrors = Record<string, string[]>;

const RULE_FIELDS = new Set(["kind", "name", "severity", "enabled"]);

/**
 * The server's errors by the form's field: `params.threshold`, `kind`, `name`...; anything else goes to "" (shown
 * at the top of the form), prefixed with its path unless it is about the whole rule.
 */
export function placeRuleErrors(errors: Record<string, string[]> | undefined, kind: AlertRuleKindSpec): RuleErrors {
  const placed: RuleErrors = {};
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const known = RULE_FIELDS.has(path) || (path.startsWith("params.") && path.slice(7) in kind.params);
    const key = known ? path : "";
    (placed[key] ??= []).push(...(known || !path || path === "non_field_errors" ? messages : messages.map((m) => `${path}: ${m}`)));
  }
  return placed;
}

function parsedParams(values: RuleFormValues, spec: AlertRuleKindSpec) {
  const params: Record<string, AlertParamValue> = {};
  const errors: RuleErrors = {};
  for (const [name, p] of Object.entries(spec.params)) {
    const checked = checkParam(p, values.params[name] ?? "");
    if ("error" in checked) errors[`params.${name}`] = [checked.error];
    else params[name] = checked.value;
  }
  if (values.name.length > 200) errors.name = ["at most 200 characters"];
  return { params, errors };
}

/** `POST alert-rules/`: every parameter as shown in the form (the server stores them all anyway). */
export function ruleCreateBody(values: RuleFormValues, spec: AlertRuleKindSpec): { body: AlertRuleInput | null; errors: RuleErrors } {
  const { params, errors } = parsedParams(values, spec);
  if (Object.keys(errors).length > 0) return { body: null, errors };
  return {
    body: { kind: values.kind, name: values.name.trim(), severity: values.severity, enabled: values.enabled, params },
    errors,
  };
}

/** `PATCH alert-rules/{id}/` with only what changed (the server merges `params` onto the current ones). */
export function rulePatch(
  values: RuleFormValues,
  spec: AlertRuleKindSpec,
  rule: AlertRule,
): { patch: AlertRulePatch | null; errors: RuleErrors } {
  const { params, errors } = parsedParams(values, spec);
  if (Object.keys(errors).length > 0) return { patch: null, errors };
  const patch: AlertRulePatch = {};
  if (values.name.trim() !== rule.name) patch.name = values.name.trim();
  if (values.severity !== rule.severity) patch.severity = values.severity;
  if (values.enabled !== rule.enabled) patch.enabled = values.enabled;
  const changed = Object.fromEntries(Object.entries(params).filter(([name, value]) => rule.params[name] !== value));
  if (Object.keys(changed).length > 0) patch.params = changed;
  return { patch, errors };
}

/** "threshold 0.95 · statistic point · min items 1". */
export function paramsSummary(params: Record<string, AlertParamValue>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name.replace(/_/g, " ")} ${value}`)
    .join(" · ");
}
