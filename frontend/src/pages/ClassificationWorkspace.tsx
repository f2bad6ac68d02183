import { useEffect, useMemo, useRef, useState } from "react";
import { isClassificationPayload } from "../api/types";
import { FindingsPanel } from "../components/FindingsPanel";
import { useFreshImage } from "../components/freshImage";
import { ImageFailed } from "../components/ImageFailed";
import { HelpPanel } from "../components/HelpPanel";
import { LabelPalette } from "../components/LabelPalette";
import { SkipDialog } from "../components/SkipDialog";
import { SubmitBar } from "../components/SubmitBar";
import { useLiveLint } from "../components/useLiveLint";
import { useSubmit } from "../components/useSubmit";
import { blurAfterMouseClick } from "../components/workspace/blurAfterClick";
import { DraftStatus } from "../components/workspace/DraftStatus";
import { cssFilter, NO_ADJUSTMENT } from "../components/workspace/imageAdjust";
import { ImageAdjustPanel } from "../components/workspace/ImageAdjustPanel";
import { InstructionsPanel } from "../components/workspace/InstructionsPanel";
import { useDraft } from "../components/workspace/useDraft";
import { blockingFindings } from "../editor/findings";
import { keyToAction, targetOwnsKey } from "../editor/hotkeys";
import { previewUrl } from "../editor/imageLevel";
import { keyMap, labelDetails } from "../editor/labels";
import { PreviousAnswers, ReworkNote, type WorkspaceProps } from "./BboxWorkspace";

export function ClassificationWorkspace({
  task,
  onDone,
  draft,
  labels: given,
  instructions = "",
  onRemap,
  revise,
  onPrevious,
  rework,
}: WorkspaceProps) {
  const labels = useMemo(() => given ?? labelDetails(task.labels), [given, task.labels]);
  const [label, setLabel] = useState<string | null>(() => {
    const start = draft && isClassificationPayload(draft.payload) ? draft.payload : task.pre_annotation;
    return isClassificationPayload(start) ? start.label : null;
  });
  const [startedAt] = useState(() => performance.now() - (draft?.elapsed_ms ?? 0));
  const [showHelp, setShowHelp] = useState(false);
  const [showInstructions, setShowInstructions] = useState(false);
  const [adjust, setAdjust] = useState(NO_ADJUSTMENT);
  const [skipping, setSkipping] = useState(false);
  // Fitted into the frame: a very large image's preview is enough (see editor/imageLevel).
  const image = useFreshImage(task.item.image_url ? previewUrl(task.item.image_url) : null);
  const payload = useMemo(() => (label === null ? null : { label }), [label]);
  const lint = useLiveLint(task.id, payload, startedAt);
  const blocking = lint.fresh ? blockingFindings(lint.findings) : [];
  const actions = useSubmit(task.id, startedAt, onDone, lint.setServerFindings, revise);
  const draftStatus = useDraft(task.id, payload, startedAt, undefined, !revise);
  const keys = useMemo(
    () => keyMap(task.labels, Object.fromEntries(labels.map((l) => [l.name, l.hotkey]))),
    [task.labels, labels],
  );

  const submit = () => {
    if (payload && blocking.length === 0) void actions.submit(payload);
  };

  const noSkip = !!rework; // a rework is not a queued task: nothing to skip
  const keyState = useRef({ submit, skipping, keys, noSkip });
  keyState.current = { submit, skipping, keys, noSkip };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (keyState.current.skipping || targetOwnsKey(e.target, e.key)) return;
      const action = keyToAction(e, "classification", keyState.current.keys);
      if (!action) return;
      e.preventDefault();
      if (action.type === "label") setLabel(task.labels[action.index]);
      else if (action.type === "submit") keyState.current.submit();
      else if (action.type === "skip" && !keyState.current.noSkip) setSkipping(true);
      else if (action.type === "help") setShowHelp((s) => !s);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [task.labels]);

  return (
    <div
      className="workspace classification"
      data-testid="workspace"
      data-kind="classification"
      data-task-id={task.id}
      data-elapsed-start={draft?.elapsed_ms ?? 0}
      onClickCapture={blurAfterMouseClick}
    >
      <section className="ws-center" aria-label="Image">
        <div className="class-image-frame">
          {image.failed ? (
            <ImageFailed onRetry={image.retry} />
          ) : task.item.image_url ? (
            <img
              key={image.attempt}
              src={image.src ?? undefined}
              onError={image.onError}
              alt={`Item ${task.item.id}`}
              data-testid="class-image"
              style={{ filter: cssFilter(adjust) }}
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
      <aside className="ws-right" aria-label="Labels and tools">
        <LabelPalette
          labels={labels}
          active={label}
          onChoose={setLabel}
          title="Label"
          onRemap={onRemap}
          buttonTestId="class-button"
        />
        <FindingsPanel findings={lint.findings} checking={lint.checking} error={lint.error} />
        <DraftStatus status={draftStatus} />
        <SubmitBar
          blocking={blocking}
          disabledReason={label === null ? "Choose a label first." : null}
          busy={actions.busy}
          error={actions.error}
          onSubmit={submit}
          onSkip={noSkip ? undefined : () => setSkipping(true)}
        />
        <button
          type="button"
          className="help-toggle"
          onClick={() => setShowInstructions((s) => !s)}
          data-testid="instructions-toggle"
          aria-expanded={showInstructions}
          title="Show or hide the project's instructions"
        >
          Instructions
        </button>
        {showInstructions && <InstructionsPanel markdown={instructions} onClose={() => setShowInstructions(false)} />}
        <button type="button" className="help-toggle" onClick={() => setShowHelp((s) => !s)} data-testid="help-toggle"
          aria-expanded={showHelp} title="Show or hide the keyboard shortcuts (H)">
          Keyboard shortcuts <kbd>H</kbd>
        </button>
        {showHelp && <HelpPanel kind="classification" onClose={() => setShowHelp(false)} />}
        <ImageAdjustPanel value={adjust} onChange={setAdjust} />
        {rework ? <ReworkNote rework={rework} /> : <PreviousAnswers revising={!!revise} onPrevious={onPrevious} />}
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
