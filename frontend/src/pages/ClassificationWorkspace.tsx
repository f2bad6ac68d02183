import { useEffect, useMemo, useRef, useState } from "react";
import { isClassificationPayload, type SubmitResult, type Task } from "../api/types";
import { FindingsPanel } from "../components/FindingsPanel";
import { HelpPanel } from "../components/HelpPanel";
import { SkipDialog } from "../components/SkipDialog";
import { SubmitBar } from "../components/SubmitBar";
import { useLiveLint } from "../components/useLiveLint";
import { useSubmit } from "../components/useSubmit";
import { blockingFindings } from "../editor/findings";
import { keyToAction, targetOwnsKey } from "../editor/hotkeys";
import { labelColor } from "../editor/labels";

export function ClassificationWorkspace({
  task,
  onDone,
}: {
  task: Task;
  onDone: (result: SubmitResult | null) => void;
}) {
  const [label, setLabel] = useState<string | null>(() =>
    isClassificationPayload(task.pre_annotation) ? task.pre_annotation.label : null,
  );
  const [startedAt] = useState(() => performance.now());
  const [showHelp, setShowHelp] = useState(false);
  const [skipping, setSkipping] = useState(false);
  const payload = useMemo(() => (label === null ? null : { label }), [label]);
  const lint = useLiveLint(task.id, payload, startedAt);
  const blocking = lint.fresh ? blockingFindings(lint.findings) : [];
  const actions = useSubmit(task.id, startedAt, onDone, lint.setServerFindings);

  const submit = () => {
    if (payload && blocking.length === 0) void actions.submit(payload);
  };

  const keyState = useRef({ submit, skipping });
  keyState.current = { submit, skipping };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (keyState.current.skipping || targetOwnsKey(e.target, e.key)) return;
      const action = keyToAction(e, "classification", task.labels.length);
      if (!action) return;
      e.preventDefault();
      if (action.type === "label") setLabel(task.labels[action.index]);
      else if (action.type === "submit") keyState.current.submit();
      else if (action.type === "skip") setSkipping(true);
      else if (action.type === "help") setShowHelp((s) => !s);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [task.labels]);

  return (
    <div className="workspace classification" data-testid="workspace" data-kind="classification" data-task-id={task.id}>
      <section className="ws-center" aria-label="Image">
        <div className="class-image-frame">
          {task.item.image_url ? (
            <img
              src={task.item.image_url}
              alt={`Item ${task.item.id}`}
              data-testid="class-image"
              // Scaled up a lot: keep the pixels sharp rather than blurred.
              className={Math.max(task.item.width, task.item.height) < 256 ? "pixelated" : undefined}
            />
          ) : (
            <div className="no-image" data-testid="class-image">
              No image for this item
            </div>
          )}
        </div>
      </section>
      <aside className="ws-right">
        <section className="panel" aria-label="Choose a label">
          <h2>Label</h2>
          <div className="class-buttons">
            {task.labels.map((l, i) => (
              <button
                key={l}
                type="button"
                className={l === label ? "class-button active" : "class-button"}
                aria-pressed={l === label}
                aria-keyshortcuts={i < 9 ? String(i + 1) : undefined}
                data-testid="class-button"
                data-label={l}
                onClick={() => setLabel(l)}
              >
                <span className="swatch" style={{ background: labelColor(l, task.labels) }} aria-hidden />
                {i < 9 && <kbd>{i + 1}</kbd>} {l}
              </button>
            ))}
          </div>
        </section>
        <FindingsPanel findings={lint.findings} checking={lint.checking} error={lint.error} />
        <SubmitBar
          blocking={blocking}
          disabledReason={label === null ? "Choose a label first." : null}
          busy={actions.busy}
          error={actions.error}
          onSubmit={submit}
          onSkip={() => setSkipping(true)}
        />
        <button type="button" className="help-toggle" onClick={() => setShowHelp((s) => !s)} data-testid="help-toggle"
          aria-expanded={showHelp}>
          Keyboard shortcuts <kbd>H</kbd>
        </button>
        {showHelp && <HelpPanel kind="classification" onClose={() => setShowHelp(false)} />}
      </aside>
      {skipping && (
        <SkipDialog
          busy={actions.busy}
          error={actions.error}
          onCancel={() => setSkipping(false)}
          onConfirm={(reason) => void actions.skip(reason)}
        />
      )}
    </div>
  );
}
