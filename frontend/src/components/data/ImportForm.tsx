// The import form: format, target, model version (for predictions), the file and images, and the server's or its
// own errors next to each field. The panel holds the values; a change clears the errors of the fields it touches.
import type { FormEvent } from "react";
import type { ImportFormat, ImportTarget, ProjectKind } from "../../api/types";
import {
  FILE_ACCEPT,
  FORMAT_LABELS,
  IMAGE_ACCEPT,
  importFormatsFor,
  TARGET_LABELS,
  type ImportField,
  type ImportFormValues,
} from "../../manager/exchange";
import { formatBytes } from "../../manager/format";
import { Field, FieldErrorList, fieldAria } from "../FormField";

export type ImportErrors = Partial<Record<ImportField, string[]>>;

export function ImportForm({
  kind,
  targets,
  values,
  errors,
  onChange,
  inputsKey,
  running,
  onSubmit,
}: {
  kind: ProjectKind;
  /** What this user may import as (gold for managers only). */
  targets: ImportTarget[];
  values: ImportFormValues;
  errors: ImportErrors;
  /** Applies a change and clears the named fields' errors. */
  onChange: (patch: Partial<ImportFormValues>, ...clears: ImportField[]) => void;
  /** Changes to empty the file inputs (they cannot be set from script). */
  inputsKey: number;
  running: boolean;
  onSubmit: (e: FormEvent) => void;
}) {
  const { format, as: target, modelVersion, file, images, copyImages } = values;
  // Error lists are `import-<field>-error`: the server's field names, which the test ids use too.
  const field = (name: ImportField, htmlFor: string, label: string) => ({
    htmlFor,
    label,
    errors: errors[name],
    errorId: `import-${name}-error`,
    errorTestId: `import-error-${name}`,
  });
  const aria = (name: ImportField, hintId?: string) => fieldAria(errors[name], `import-${name}-error`, hintId);
  return (
    <form className="data-form import-form" onSubmit={onSubmit} noValidate data-testid="import-form">
      <Field {...field("format", "import-format", "Format")}>
        <select id="import-format" value={format} {...aria("format")} data-testid="import-format"
          onChange={(e) => onChange({ format: e.target.value as ImportFormat }, "format")}>
          {importFormatsFor(kind).map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      </Field>
      <Field {...field("as", "import-as", "Import as")}>
        <select id="import-as" value={target} {...aria("as")} data-testid="import-as"
          onChange={(e) => onChange({ as: e.target.value as ImportTarget }, "as", "model_version")}>
          {targets.map((t) => (
            <option key={t} value={t}>
              {TARGET_LABELS[t]}
            </option>
          ))}
        </select>
      </Field>
      {target === "predictions" && (
        <Field {...field("model_version", "import-model-version", "Model version")}>
          <input id="import-model-version" type="text" value={modelVersion} maxLength={100} required
            {...aria("model_version", "import-model-version-hint")} data-testid="import-model-version"
            onChange={(e) => onChange({ modelVersion: e.target.value }, "model_version")} />
          <small id="import-model-version-hint" className="muted">
            Required: names the model that made these predictions (e.g. detector-v3).
          </small>
        </Field>
      )}
      <Field {...field("file", "import-file", format === "images" ? "Zip of images" : "Annotation file or zip")}>
        <input key={`file-${inputsKey}`} id="import-file" type="file" accept={FILE_ACCEPT[format]}
          {...aria("file", "import-file-hint")} data-testid="import-file"
          onChange={(e) => onChange({ file: e.target.files?.[0] ?? null }, "file")} />
        <small id="import-file-hint" className="muted">
          {format === "images"
            ? "Optional when images are chosen below."
            : "A zip may hold one annotation file and the images it names."}
          {file && ` Chosen: ${file.name} (${formatBytes(file.size)}).`}
        </small>
      </Field>
      <Field {...field("images", "import-images", format === "images" ? "Images" : "Images (optional)")}>
        <input key={`images-${inputsKey}`} id="import-images" type="file" multiple accept={IMAGE_ACCEPT}
          {...aria("images", "import-images-hint")} data-testid="import-images"
          onChange={(e) => onChange({ images: Array.from(e.target.files ?? []) }, "images")} />
        <small id="import-images-hint" className="muted">
          PNG, JPEG, WebP or GIF files named as the annotation file names them.
          {images.length > 0 &&
            ` Chosen: ${images.length} image${images.length === 1 ? "" : "s"} (${formatBytes(images.reduce((s, i) => s + i.size, 0))}).`}
        </small>
      </Field>
      {format !== "images" && (
        <label className="check">
          <input type="checkbox" checked={copyImages} onChange={(e) => onChange({ copyImages: e.target.checked })}
            data-testid="import-copy-images" />
          Download images given by URL and serve them from here
        </label>
      )}
      <FieldErrorList id="import-copy_images-error" messages={errors.copy_images} testId="import-error-copy_images" />
      <button type="submit" className="primary" disabled={running} data-testid="import-start">
        {running ? "Importing…" : "Upload and import"}
      </button>
    </form>
  );
}
