// Set up a project: its kind, labels (colours, keys), instructions in Markdown and its settings, each explained
// and at its default. The server checks everything again; its 400s land on the fields they name.
import { useState } from "react";
import { auth, projects } from "../api";
import { useAuth } from "../auth";
import type { ProjectKind, ProjectSettings } from "../api/types";
import { Field, FieldErrorList, fieldAria } from "../components/FormField";
import { Layout } from "../components/Layout";
import { LabelRowsEditor } from "../components/setup/LabelRowsEditor";
import { useFormSave } from "../components/useFormSave";
import { renderMarkdown } from "../components/workspace/markdown";
import { checkRows, labelConfig, newRow, type LabelRow } from "../manager/labelRows";
import { SETTING_GROUPS } from "../manager/settingsForm";
import { navigate } from "../router";

/** The model's defaults (annotation_qc/projects/models.py), shown in the form and left out of the request. */
export const SETTING_DEFAULTS: Partial<ProjectSettings> = {
  overlap: 2,
  overlap_fraction: 0.1,
  max_overlap: 4,
  lease_seconds: 1800,
  max_boxes: 500,
  benchmark_rate: 0.05,
  calibration_benchmarks: 5,
  calibration_window: 10,
  benchmark_min_iou: 0.7,
  flag_threshold: 0.6,
  flag_action: "alert",
  show_own_score: false,
  edit_window_seconds: 900,
  gold_pool_target: 0,
  consensus_target: 0.95,
  strategy: "import_order",
  prioritize_every: 0,
};

type SettingValue = string | number | boolean;

export function NewProjectPage() {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<ProjectKind>("bbox");
  const [rows, setRows] = useState<LabelRow[]>([newRow(0), newRow(1)]);
  const [instructions, setInstructions] = useState("");
  const [preview, setPreview] = useState(false);
  const [settings, setSettings] = useState<Record<string, SettingValue>>({ ...SETTING_DEFAULTS } as Record<
    string,
    SettingValue
  >);
  const form = useFormSave();
  const { setMe } = useAuth();

  const submit = () => {
    const local = checkRows(rows);
    if (!name.trim()) local.name = ["give the project a name"];
    if (Object.keys(local).length) {
      form.setErrors(local);
      form.setDetail("Check the fields marked below.");
      return;
    }
    const changed = Object.fromEntries(
      Object.entries(settings).filter(([k, v]) => SETTING_DEFAULTS[k as keyof ProjectSettings] !== v),
    );
    void form.save(
      async () => {
        const project = await projects.create({
          name: name.trim(),
          kind,
          labels: rows.map((r) => r.name.trim()),
          label_config: labelConfig(rows),
          instructions,
          settings: changed,
        });
        // The creator is now the project's manager: refresh the memberships the tabs are decided from.
        setMe(await auth.me());
        navigate(`/projects/${project.id}/setup?created=1`);
      },
      (errors) => errors ?? {},
    );
  };

  const groups = SETTING_GROUPS.map((g) => ({ ...g, fields: g.fields.filter((f) => f.name in SETTING_DEFAULTS) }));
  return (
    <Layout title="New project">
      <main className="page narrow">
        <h1>New project</h1>
        <form
          className="settings-form"
          data-testid="project-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
          noValidate
        >
          {form.detail && (
            <p className="error" role="alert" data-testid="project-form-error">
              {form.detail}
            </p>
          )}
          <Field htmlFor="project-name" label="Name" errors={form.errors.name} errorId="name-errors"
            errorTestId="project-error-name">
            <input id="project-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200}
              data-testid="project-name" {...fieldAria(form.errors.name, "name-errors")} />
          </Field>
          <fieldset>
            <legend>Kind</legend>
            <p className="muted small">What annotators do: draw boxes around objects, or pick one label per image.</p>
            {(["bbox", "classification"] as const).map((k) => (
              <label key={k} className="inline">
                <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)}
                  data-testid={`project-kind-${k}`} />
                {k === "bbox" ? "Bounding boxes" : "Classification"}
              </label>
            ))}
            <FieldErrorList id="kind-errors" messages={form.errors.kind} testId="project-error-kind" />
          </fieldset>
          <LabelRowsEditor rows={rows} onChange={setRows} errors={form.errors} />
          <div className="field">
            <label htmlFor="project-instructions">Instructions (Markdown)</label>
            <p className="muted small" id="instructions-hint">
              Shown to annotators beside the image. Markdown: headings, lists, links, images by URL. HTML is shown
              as text, never run.
            </p>
            <textarea id="project-instructions" rows={6} value={instructions} data-testid="project-instructions"
              aria-describedby="instructions-hint" onChange={(e) => setInstructions(e.target.value)} />
            <button type="button" className="link" onClick={() => setPreview((p) => !p)} aria-expanded={preview}
              data-testid="instructions-preview-toggle" title="See the instructions as annotators will">
              {preview ? "Hide preview" : "Preview"}
            </button>
            {preview && (
              <div className="markdown panel" data-testid="instructions-preview"
                dangerouslySetInnerHTML={{ __html: renderMarkdown(instructions) }} />
            )}
          </div>
          {groups.map((group) => (
            <fieldset key={group.title}>
              <legend>{group.title}</legend>
              {group.fields.map((f) => {
                const id = `setting-${f.name}`;
                const errors = form.errors[`settings.${f.name}`];
                const value = settings[f.name];
                const hintId = `${id}-hint`;
                return (
                  <Field key={f.name} htmlFor={id} errors={errors} errorId={`${id}-errors`}
                    errorTestId={`project-error-settings.${f.name}`}
                    label={<>{f.label} <span className="muted small">(default {String(SETTING_DEFAULTS[f.name])})</span></>}>
                    {f.kind === "bool" ? (
                      <input id={id} type="checkbox" checked={Boolean(value)} data-testid={`project-setting-${f.name}`}
                        onChange={(e) => setSettings({ ...settings, [f.name]: e.target.checked })}
                        {...fieldAria(errors, `${id}-errors`, f.help ? hintId : undefined)} />
                    ) : f.kind === "choice" ? (
                      <select id={id} value={String(value)} data-testid={`project-setting-${f.name}`}
                        onChange={(e) => setSettings({ ...settings, [f.name]: e.target.value })}
                        {...fieldAria(errors, `${id}-errors`, f.help ? hintId : undefined)}>
                        {f.choices?.map((c) => (
                          <option key={c} value={c}>
                            {c}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <input id={id} type="number" min={f.min} max={f.max} step={f.step} value={String(value)}
                        data-testid={`project-setting-${f.name}`}
                        onChange={(e) => setSettings({ ...settings, [f.name]: e.target.value === "" ? "" : Number(e.target.value) })}
                        {...fieldAria(errors, `${id}-errors`, f.help ? hintId : undefined)} />
                    )}
                    {f.help && (
                      <span className="muted small" id={hintId}>
                        {f.help}
                      </span>
                    )}
                  </Field>
                );
              })}
            </fieldset>
          ))}
          <div className="actions">
            <button type="submit" className="primary" disabled={form.busy} data-testid="project-create"
              title="Create the project; you become its manager">
              {form.busy ? "Creating…" : "Create project"}
            </button>
          </div>
        </form>
      </main>
    </Layout>
  );
}
