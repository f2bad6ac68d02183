// The project settings form: which fields, parsing the inputs, and placing the API's 400 messages by field.
import type { ProjectSettings } from "../api/types";

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
  name: string;
  label: string;
  kind: "int" | "float" | "choice" | "json";
  help?: string;
  min?: number;
  max?: number;
  step?: number;
  choices?: string[];
}

export const SETTING_FIELDS: SettingField[] = [
  { name: "benchmark_rate", label: "Benchmark rate", kind: "float", min: 0, max: 1, step: 0.01,
    help: "Share of tasks served as seeded-error benchmarks (0 to 1)." },
  { name: "overlap", label: "Overlap", kind: "int", min: 1, max: 20, step: 1,
    help: "Annotations per double-labeled item." },
  { name: "overlap_fraction", label: "Overlap fraction", kind: "float", min: 0, max: 1, step: 0.01,
    help: "Share of items labeled by several annotators (0 to 1)." },
  { name: "lease_seconds", label: "Lease (seconds)", kind: "int", min: 30, step: 1,
    help: "How long a served task stays reserved for its annotator." },
  { name: "max_boxes", label: "Max boxes per image", kind: "int", min: 1, step: 1 },
  { name: "flag_threshold", label: "Flag threshold", kind: "float", min: 0, max: 1, step: 0.01,
    help: "An annotator whose accuracy interval lies wholly below this is flagged." },
  { name: "strategy", label: "Queue strategy", kind: "choice", choices: STRATEGIES,
    help: "How the label queue is prioritised." },
  { name: "lint", label: "Linter settings (JSON)", kind: "json",
    help: 'Per-rule overrides, e.g. {"oversized_box": {"max_area_fraction": 0.8, "severity": "warning"}}.' },
];

/** The key the server uses for linter settings: "lint" (docs/api.md) or "lint_config" (the model), as loaded. */
export function lintKey(settings: ProjectSettings): "lint" | "lint_config" {
  if ("lint" in settings) return "lint";
  return "lint_config";
}

export type FormValues = Record<string, string>;

export function toFormValues(settings: ProjectSettings): FormValues {
  const values: FormValues = {};
  for (const field of SETTING_FIELDS) {
    const raw = field.kind === "json" ? settings[lintKey(settings)] : settings[field.name];
    if (field.kind === "json") values[field.name] = JSON.stringify(raw ?? {}, null, 2);
    else values[field.name] = raw === undefined || raw === null ? "" : String(raw);
  }
  return values;
}

export interface ParsedForm {
  patch: Record<string, unknown>;
  errors: Record<string, string[]>;
}

/** Parses the inputs; the patch holds only fields that changed from `original`. */
export function parseForm(values: FormValues, original: ProjectSettings): ParsedForm {
  const patch: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const field of SETTING_FIELDS) {
    const text = (values[field.name] ?? "").trim();
    const key = field.kind === "json" ? lintKey(original) : field.name;
    let value: unknown;
    if (field.kind === "int" || field.kind === "float") {
      if (text === "") {
        // A setting the server did not send may stay empty; one it did send may not be cleared.
        if (original[key] !== undefined && original[key] !== null) errors[field.name] = ["Enter a number."];
        continue;
      }
      const n = Number(text);
      if (!Number.isFinite(n) || (field.kind === "int" && !Number.isInteger(n))) {
        errors[field.name] = [field.kind === "int" ? "Enter a whole number." : "Enter a number."];
        continue;
      }
      value = n;
    } else if (field.kind === "json") {
      try {
        value = text === "" ? {} : JSON.parse(text);
      } catch {
        errors[field.name] = ["Not valid JSON."];
        continue;
      }
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        errors[field.name] = ["Must be a JSON object."];
        continue;
      }
    } else {
      if (text === "" && original[key] === undefined) continue;
      value = text;
    }
    if (JSON.stringify(value) !== JSON.stringify(original[key] ?? (field.kind === "json" ? {} : undefined))) {
      patch[key] = value;
    }
  }
  return { patch, errors };
}

/**
 * Places the API's `errors` ({"settings.benchmark_rate": [...]}) on form fields; messages for paths that are
 * not a field are returned under "" (shown at the top of the form).
 */
export function placeServerErrors(errors: Record<string, string[]> | undefined): Record<string, string[]> {
  const placed: Record<string, string[]> = {};
  const names = new Set(SETTING_FIELDS.map((f) => f.name));
  const add = (target: string, messages: string[]) => {
    placed[target] = [...(placed[target] ?? []), ...messages];
  };
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const bare = path.replace(/^settings\./, "");
    const head = bare.split(/[.[]/)[0];
    const field = head === "lint_config" ? "lint" : head;
    if (names.has(field)) add(field, bare === head ? messages : messages.map((m) => `${bare}: ${m}`));
    else if (path === "" || path === "non_field_errors" || path === "settings") add("", messages);
    else add("", messages.map((m) => `${path}: ${m}`));
  }
  return placed;
}
