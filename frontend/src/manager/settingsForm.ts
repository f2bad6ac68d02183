// The project settings form: which fields, parsing the inputs, and placing the API's 400 messages by field.
// The fields are the server's SETTING_FIELDS (annotation_qc/projects/services.py) with the model's ranges; the
// linter thresholds come from lintRules.json, generated from the rule registry (frontend/scripts/lint_rules.py).
import type { LintConfig, ProjectKind, ProjectSettings } from "../api/types";
import catalogue from "./lintRules.json";

export const STRATEGIES = [
  "import_order",
  "random",
  "least_confidence",
  "margin",
  "entropy",
  "vote_entropy",
  "consensus_kl",
  "detection_uncertainty",
  "detection_disagreement",
];

export interface SettingField {
  name: keyof ProjectSettings & string;
  label: string;
  kind: "int" | "float" | "choice" | "bool";
  help?: string;
  min?: number;
  max?: number;
  step?: number;
  choices?: string[];
}

export interface SettingGroup {
  title: string;
  fields: SettingField[];
}

export const SETTING_GROUPS: SettingGroup[] = [
  {
    title: "Dispatch",
    fields: [
      { name: "overlap", label: "Overlap", kind: "int", min: 1, max: 20, step: 1,
        help: "Annotations per double-labeled item." },
      { name: "overlap_fraction", label: "Overlap fraction", kind: "float", min: 0, max: 1, step: 0.01,
        help: "Share of items labeled by several annotators (0 to 1)." },
      { name: "max_overlap", label: "Maximum overlap", kind: "int", min: 1, max: 20, step: 1,
        help: "Most annotations an item may get while its consensus is still uncertain." },
      { name: "lease_seconds", label: "Lease (seconds)", kind: "int", min: 30, max: 604800, step: 1,
        help: "How long a served task stays reserved for its annotator." },
      { name: "max_boxes", label: "Max boxes per image", kind: "int", min: 1, max: 5000, step: 1,
        help: "Submissions with more boxes are rejected." },
    ],
  },
  {
    title: "Benchmarks",
    fields: [
      { name: "benchmark_rate", label: "Benchmark rate", kind: "float", min: 0, max: 1, step: 0.01,
        help: "Share of tasks served as seeded-error benchmarks (0 to 1)." },
      { name: "calibration_benchmarks", label: "Calibration benchmarks", kind: "int", min: 0, step: 1,
        help: "Benchmarks every new annotator gets within their first tasks." },
      { name: "calibration_window", label: "Calibration window", kind: "int", min: 0, step: 1,
        help: "The number of first tasks the calibration benchmarks are spread over." },
      { name: "benchmark_min_iou", label: "Benchmark match IoU", kind: "float", min: 0.65, max: 0.95, step: 0.01,
        help: "A submitted box fixes the seeded mistake when it matches the gold box at this IoU or more." },
      { name: "flag_threshold", label: "Flag threshold", kind: "float", min: 0, max: 1, step: 0.01,
        help: "Fix rate below which annotators are flagged, by sequential tests on benchmarks and peer evidence (0: off)." },
      { name: "flag_action", label: "When flagged", kind: "choice", choices: ["alert", "stop"],
        help: "alert: only report it; stop: also stop serving the annotator tasks." },
      { name: "show_own_score", label: "Annotators see their own score", kind: "bool" },
      { name: "edit_window_seconds", label: "Answers editable for (seconds)", kind: "int", min: 0, max: 604800, step: 1,
        help: "How long annotators may go back and change a submitted answer (0: never)." },
      { name: "gold_pool_target", label: "Gold pool target", kind: "int", min: 0, max: 100000, step: 1,
        help: "Keep this many gold items in service by promoting items that review accepted or fixed, or that at least 3 annotators agreed on with high confidence; over-exposed gold is replaced the same way (0: off)." },
    ],
  },
  {
    title: "Agreement and consensus",
    fields: [
      { name: "consensus_target", label: "Consensus target", kind: "float", min: 0.5, max: 1, step: 0.01,
        help: "Confidence the consensus answer must reach before an item needs no more annotations." },
    ],
  },
  {
    title: "Prioritisation",
    fields: [
      { name: "strategy", label: "Queue strategy", kind: "choice", choices: STRATEGIES,
        help: "How the label queue is prioritised." },
      { name: "prioritize_every", label: "Re-prioritise every", kind: "int", min: 0, step: 1,
        help: "Re-prioritise after this many new labels (0: only on demand)." },
    ],
  },
];

export const SETTING_FIELDS: SettingField[] = SETTING_GROUPS.flatMap((g) => g.fields);

// --- linter rules

export interface LintSettingSpec {
  name: string;
  type: "bool" | "int" | "float" | "choice";
  default: boolean | number | string;
  choices?: string[];
  low?: number | null;
  high?: number | null;
  low_open?: boolean;
  high_open?: boolean;
  range?: string;
}

export interface LintRuleSpec {
  code: string;
  description: string;
  kinds: string[];
  settings: LintSettingSpec[];
}

export const LINT_RULES: LintRuleSpec[] = catalogue.rules as LintRuleSpec[];

/** The rules that apply to a project of this kind. */
export function lintRulesFor(kind: ProjectKind): LintRuleSpec[] {
  return LINT_RULES.filter((r) => r.kinds.includes(kind));
}

/** The form key of one linter setting, e.g. "lint.oversized_box.area_fraction". */
export const lintFieldName = (code: string, setting: string) => `lint.${code}.${setting}`;

const SETTING_LABELS: Record<string, string> = { enabled: "On", severity: "Severity", far_severity: "Far outside" };

export function lintSettingLabel(name: string): string {
  return SETTING_LABELS[name] ?? name.replace(/_/g, " ");
}

// --- values

export type FormValues = Record<string, string>;

function lintValue(config: LintConfig | undefined, code: string, spec: LintSettingSpec): boolean | number | string {
  const value = config?.[code]?.[spec.name];
  return value === undefined ? spec.default : value;
}

export function toFormValues(settings: Partial<ProjectSettings>): FormValues {
  const values: FormValues = {};
  for (const field of SETTING_FIELDS) {
    const raw = settings[field.name];
    values[field.name] = raw === undefined || raw === null ? "" : String(raw);
  }
  for (const rule of LINT_RULES) {
    for (const spec of rule.settings) values[lintFieldName(rule.code, spec.name)] = String(lintValue(settings.lint_config, rule.code, spec));
  }
  return values;
}

export interface ParsedForm {
  patch: Record<string, unknown>;
  errors: Record<string, string[]>;
}

function parseNumber(text: string, type: "int" | "float"): number | string {
  if (text === "") return "Enter a number.";
  const n = Number(text);
  if (!Number.isFinite(n)) return "Enter a number.";
  if (type === "int" && !Number.isInteger(n)) return "Enter a whole number.";
  return n;
}

function outOfRange(n: number, spec: { low?: number | null; high?: number | null; low_open?: boolean; high_open?: boolean; range?: string }): string | null {
  const { low, high } = spec;
  const belowLow = typeof low === "number" && (spec.low_open ? n <= low : n < low);
  const aboveHigh = typeof high === "number" && (spec.high_open ? n >= high : n > high);
  return belowLow || aboveHigh ? `Must be ${spec.range ?? "in range"}.` : null;
}

/** Overrides without the entries that equal the defaults (what the form would send for these values). */
export function lintOverrides(config: LintConfig | undefined): LintConfig {
  const out: LintConfig = {};
  for (const rule of LINT_RULES) {
    for (const spec of rule.settings) {
      const value = config?.[rule.code]?.[spec.name];
      if (value !== undefined && value !== spec.default) out[rule.code] = { ...out[rule.code], [spec.name]: value };
    }
  }
  // Keep what the catalogue does not know about (a rule added on the server since the UI was built).
  for (const [code, entry] of Object.entries(config ?? {})) {
    if (!LINT_RULES.some((r) => r.code === code)) out[code] = entry;
  }
  return out;
}

function parseLint(values: FormValues, original: LintConfig | undefined, errors: Record<string, string[]>): LintConfig {
  const config: LintConfig = {};
  for (const rule of LINT_RULES) {
    for (const spec of rule.settings) {
      const key = lintFieldName(rule.code, spec.name);
      const text = (values[key] ?? "").trim();
      let value: boolean | number | string;
      if (spec.type === "bool") value = text === "true";
      else if (spec.type === "choice") value = text;
      else {
        const parsed = parseNumber(text, spec.type);
        if (typeof parsed === "string") {
          errors[key] = [parsed];
          continue;
        }
        const problem = outOfRange(parsed, spec);
        if (problem) {
          errors[key] = [problem];
          continue;
        }
        value = parsed;
      }
      config[rule.code] = { ...config[rule.code], [spec.name]: value };
    }
  }
  return lintOverrides({ ...original, ...config });
}

/** Parses the inputs; the patch holds only the settings that changed from `original`. */
export function parseForm(values: FormValues, original: Partial<ProjectSettings>): ParsedForm {
  const patch: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const field of SETTING_FIELDS) {
    const text = (values[field.name] ?? "").trim();
    const before = original[field.name];
    let value: unknown;
    if (field.kind === "int" || field.kind === "float") {
      // A setting the server did not send may stay empty; one it did send may not be cleared.
      if (text === "" && (before === undefined || before === null)) continue;
      const parsed = parseNumber(text, field.kind);
      if (typeof parsed === "string") {
        errors[field.name] = [parsed];
        continue;
      }
      value = parsed;
    } else if (field.kind === "bool") {
      if (text === "" && before === undefined) continue;
      value = text === "true";
    } else {
      if (text === "" && before === undefined) continue;
      value = text;
    }
    if (value !== before) patch[field.name] = value;
  }
  const lint = parseLint(values, original.lint_config, errors);
  if (JSON.stringify(lint) !== JSON.stringify(lintOverrides(original.lint_config))) patch.lint_config = lint;
  return { patch, errors };
}

/**
 * Places the API's `errors` ({"settings.benchmark_rate": [...]}) on form fields. Linter messages
 * ({"settings.lint_config": ["oversized_box.area_fraction: must be ..."]}) go to the named threshold when the form
 * has it, else under "lint"; messages for paths that are not a field are returned under "" (top of the form).
 */
export function placeServerErrors(errors: Record<string, string[]> | undefined): Record<string, string[]> {
  const placed: Record<string, string[]> = {};
  const names = new Set<string>(SETTING_FIELDS.map((f) => f.name));
  const add = (target: string, messages: string[]) => {
    placed[target] = [...(placed[target] ?? []), ...messages];
  };
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const bare = path.replace(/^settings\./, "");
    const head = bare.split(/[.[]/)[0];
    if (head === "lint_config") {
      for (const message of messages) {
        const m = /^([a-z_]+)\.([a-z_]+): (.*)$/.exec(message);
        const key = m && lintFieldName(m[1], m[2]);
        if (key && LINT_RULES.some((r) => r.code === m[1] && r.settings.some((s) => s.name === m[2]))) add(key, [m[3]]);
        else add("lint", [message]);
      }
    } else if (names.has(head)) add(head, bare === head ? messages : messages.map((m) => `${bare}: ${m}`));
    else if (path === "" || path === "non_field_errors" || path === "settings") add("", messages);
    else add("", messages.map((m) => `${path}: ${m}`));
  }
  return placed;
}
