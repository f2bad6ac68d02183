// A project's set-up: its name, labels (add, colour, key, retire, rename while unused) and instructions.
import { useState } from "react";
import { ApiError, errorMessage, projects } from "../api";
import type { Project } from "../api/types";
import { Field, fieldAria } from "../components/FormField";
import { LabelRowsEditor } from "../components/setup/LabelRowsEditor";
import { useFormSave } from "../components/useFormSave";
import { renderMarkdown } from "../components/workspace/markdown";
import { labelDetails } from "../editor/labels";
import { checkRows, labelConfig, rowsFromDetails, type LabelRow } from "../manager/labelRows";
import { currentLocation } from "../router";
import { ManagerPage } from "./ManagerPage";

export function SetupPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="setup">
      {(project) => <SetupForm initial={project} />}
    </ManagerPage>
  );
}

function SetupForm({ initial }: { initial: Project }) {
  const [project, setProject] = useState(initial);
  const [name, setName] = useState(initial.name);
  const [rows, setRows] = useState<LabelRow[]>(() =>
    rowsFromDetails(labelDetails(initial.labels, initial.label_details), initial.label_config),
  );
  const [instructions, setInstructions] = useState(initial.instructions ?? "");
  const [saved, setSaved] = useState<string | null>(
    currentLocation().search.get("created") ? "Project created. Add members, then import items on the Data tab." : null,
  );
  const [renaming, setRenaming] = useState<{ from: string; to: string; error: string | null } | null>(null);
  const form = useFormSave();

  const reset = (p: Project) => {
    setProject(p);
    setName(p.name);
    setRows(rowsFromDetails(labelDetails(p.labels, p.label_details), p.label_config));
    setInstructions(p.instructions ?? "");
  };

  const save = () => {
    setSaved(null);
    const local = checkRows(rows);
    if (!name.trim()) local.name = ["the project needs a name"];
    if (Object.keys(local).length) {
      form.setErrors(local);
      form.setDetail("Check the fields marked below.");
      return;
    }
    void form.save(
      async () => {
        const p = await projects.update(project.id, {
          name: name.trim(),
          labels: rows.map((r) => r.name.trim()),
          label_config: labelConfig(rows),
          instructions,
        });
        reset(p);
        form.setErrors({});
        form.setDetail(null);
        setSaved("Saved.");
      },
      (errors) => errors ?? {},
    );
  };

  const rename = async () => {
    if (!renaming) return;
    try {
      const p = await projects.renameLabel(project.id, renaming.from, renaming.to.trim());
      reset(p);
      setRenaming(null);
      setSaved(`Renamed "${renaming.from}" to "${renaming.to.trim()}".`);
    } catch (err) {
      const fields = err instanceof ApiError ? [...err.fieldErrors("to"), ...err.fieldErrors("from")] : [];
      setRenaming({ ...renaming, error: fields.join(" ") || errorMessage(err) });
    }
  };

  return (
    <form
      className="settings-form"
      data-testid="setup-form"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      noValidate
    >
      <h1>Set-up</h1>
      {saved && (
        <p className="ok-text" role="status" data-testid="setup-saved">
          {saved}
        </p>
      )}
      {form.detail && (
        <p className="error" role="alert" data-testid="setup-error">
          {form.detail}
        </p>
      )}
      <Field htmlFor="setup-name" label="Project name" errors={form.errors.name} errorId="setup-name-errors"
        errorTestId="setup-error-name">
        <input id="setup-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)}
          data-testid="setup-name" {...fieldAria(form.errors.name, "setup-name-errors")} />
      </Field>
      <p className="muted small">Kind: {project.kind === "bbox" ? "bounding boxes" : "classification"} (fixed).</p>
      <LabelRowsEditor
        rows={rows}
        onChange={setRows}
        errors={form.errors}
        onRename={(row) => setRenaming({ from: row.name, to: row.name, error: null })}
      />
      {renaming && (
        <div className="panel" role="group" aria-label={`Rename ${renaming.from}`} data-testid="rename-panel">
          <label>
            New name for "{renaming.from}"
            <input autoFocus value={renaming.to} data-testid="rename-to"
              onChange={(e) => setRenaming({ ...renaming, to: e.target.value, error: null })} />
          </label>
          {renaming.error && (
            <p className="error-text" role="alert" data-testid="rename-error">
              {renaming.error}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={() => setRenaming(null)} title="Keep the name">
              Cancel
            </button>
            <button type="button" className="primary" onClick={() => void rename()} data-testid="rename-save"
              title="Rename the label">
              Rename
            </button>
          </div>
        </div>
      )}
      <div className="field">
        <label htmlFor="setup-instructions">Instructions for annotators (Markdown)</label>
        <textarea id="setup-instructions" rows={8} value={instructions} data-testid="setup-instructions"
          onChange={(e) => setInstructions(e.target.value)} aria-describedby="setup-instructions-hint" />
        <span className="muted small" id="setup-instructions-hint">
          HTML is shown as text, never run. Preview below.
        </span>
        <div className="markdown panel" data-testid="setup-instructions-preview"
          dangerouslySetInnerHTML={{ __html: renderMarkdown(instructions) }} />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={form.busy} data-testid="setup-save"
          title="Save the name, labels and instructions">
          {form.busy ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}
