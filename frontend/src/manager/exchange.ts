// Pure logic of the Data page: which formats and targets to offer, the import form's own checks, where the
// server's field errors go, and the tables' one-line summaries. The rules mirror annotation_qc/exchange/services/uploads.py and exports.py.
import {
  isImportReport,
  type ExportFormat,
  type ExportRecord,
  type ImportFormat,
  type ImportRecord,
  type ImportTarget,
  type ProjectKind,
  type Role,
} from "../api/types";

export const FORMAT_LABELS: Record<ImportFormat, string> = {
  coco: "COCO detection (JSON)",
  label_studio: "Label Studio (JSON)",
  csv: "CSV",
  jsonl: "JSON Lines",
  images: "Images only",
};

export const TARGET_LABELS: Record<ImportTarget, string> = {
  items: "Items to label",
  gold: "Gold (known answers)",
  predictions: "Model predictions",
};

/** COCO detection files are for bbox projects; the server answers 400 for any other. */
export function exportFormatsFor(kind: ProjectKind): ExportFormat[] {
  return kind === "bbox" ? ["coco", "label_studio", "csv", "jsonl"] : ["label_studio", "csv", "jsonl"];
}

export function importFormatsFor(kind: ProjectKind): ImportFormat[] {
  return [...exportFormatsFor(kind), "images"];
}

/** What the file input of each import format takes. */
export const FILE_ACCEPT: Record<ImportFormat, string> = {
  coco: ".json,.zip,application/json,application/zip",
  label_studio: ".json,.zip,application/json,application/zip",
  csv: ".csv,.txt,.zip,text/csv,application/zip",
  jsonl: ".jsonl,.ndjson,.json,.zip,application/zip",
  images: ".zip,image/png,image/jpeg,image/webp,image/gif,application/zip",
};
export const IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif";

/** Gold is imported by managers only (the server answers 403 for ML engineers); staff count as managers. */
/** Gold is imported by managers only; as on the server, a member's own role wins and staff who are not members
 * count as managers. */
export function importTargetsFor(role: Role | null, isStaff: boolean): ImportTarget[] {
  const effective = role ?? (isStaff ? "manager" : null);
  return effective === "manager" ? ["items", "gold", "predictions"] : ["items", "predictions"];
}

export interface ImportDraft {
  format: ImportFormat;
  as: ImportTarget;
  modelVersion: string;
  file: File | null;
  images: File[];
}

/** The import form's values: the draft and whether to copy images given by URL. */
export interface ImportFormValues extends ImportDraft {
  copyImages: boolean;
}

export type FieldErrors = Record<string, string[]>;

/** The form's own checks before anything is uploaded; keys are the server's field names. */
export function checkImport(draft: ImportDraft, allowedTargets: ImportTarget[]): FieldErrors {
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  if (!allowedTargets.includes(draft.as)) add("as", `${draft.as} is not something you can import here`);
  if (draft.as === "predictions" && !draft.modelVersion.trim()) add("model_version", "required when importing predictions");
  if (draft.modelVersion.trim().length > 100) add("model_version", "at most 100 characters");
  if (draft.format === "images" && draft.as !== "items") {
    add("as", "bare images carry no annotations: import them as items");
  }
  if (!draft.file && draft.images.length === 0) {
    add("file", draft.format === "images" ? "choose images or a zip of images" : "choose a file to upload");
  }
  return errors;
}

const IMPORT_FIELDS = ["format", "as", "model_version", "copy_images", "file", "images"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number] | "other";

/**
 * Groups the server's error paths by form field: `images[2]` goes to `images`, named with the file it is about
 * (`images[2] photo.jpg: ...`); paths the form has no field for (`data`, `body`, "") go to `other`.
 */
export function placeImportErrors(errors: FieldErrors | undefined, images: File[]): Partial<Record<ImportField, string[]>> {
  const placed: Partial<Record<ImportField, string[]>> = {};
  for (const [path, messages] of Object.entries(errors ?? {})) {
    const image = /^images\[(\d+)\]$/.exec(path);
    if (image) {
      const name = images[Number(image[1])]?.name;
      const prefix = `${path}${name ? ` ${name}` : ""}: `;
      (placed.images ??= []).push(...messages.map((m) => prefix + m));
      continue;
    }
    const field = (IMPORT_FIELDS as readonly string[]).includes(path) ? (path as ImportField) : "other";
    (placed[field] ??= []).push(...(field === "other" && path && path !== "non_field_errors" ? messages.map((m) => `${path}: ${m}`) : messages));
  }
  return placed;
}

/** The first 12 hex digits, as the download's file name carries them. */
export function shortSha(sha256: string): string {
  return sha256 ? sha256.slice(0, 12) : "—";
}

/** "with raw answers and gold items", "final labels only". */
export function exportOptionsText(e: ExportRecord): string {
  const parts = [e.options.include_raw && "raw answers", e.options.include_gold && "gold items"].filter(Boolean);
  return parts.length ? `with ${parts.join(" and ")}` : "final labels only";
}

/** An import's outcome in a few words: "12 created, 3 gold", "2 problems; nothing imported". */
export function importResult(record: ImportRecord): string {
  const r = record.report;
  if (!isImportReport(r)) return record.status === "failed" ? "failed before reading the file" : "—";
  if (record.status === "rejected") return `${r.rejected_total} problem${r.rejected_total === 1 ? "" : "s"}; nothing imported`;
  const parts = [`${r.created} created`];
  if (r.gold) parts.push(`${r.gold} gold`);
  if (r.predictions) parts.push(`${r.predictions} predictions`);
  if (r.existing_items) parts.push(`${r.existing_items} existing`);
  return parts.join(", ");
}
