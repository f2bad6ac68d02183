import { useEffect, useMemo, useReducer, useRef, useState } from "react";
import { isBboxPayload, type Draft, type LabelDetail, type Payload, type SubmitResult, type Task } from "../api/types";
import { BoxCanvas } from "../components/BoxCanvas";
import { BoxList } from "../components/BoxList";
import { FindingsPanel } from "../components/FindingsPanel";
import { HelpPanel } from "../components/HelpPanel";
import { LabelPalette } from "../components/LabelPalette";
import { SkipDialog } from "../components/SkipDialog";
import { SubmitBar } from "../components/SubmitBar";
import { useLiveLint } from "../components/useLiveLint";
import { useSubmit, type DoneHow } from "../components/useSubmit";
import { blurAfterMouseClick } from "../components/workspace/blurAfterClick";
import { cssFilter, NO_ADJUSTMENT } from "../components/workspace/imageAdjust";
import { ImageAdjustPanel } from "../components/workspace/ImageAdjustPanel";
import { InstructionsPanel } from "../components/workspace/InstructionsPanel";
import { DraftStatus } from "../components/workspace/DraftStatus";
import { useDraft } from "../components/workspace/useDraft";
import {
  createEditorState,
  currentBoxes,
  editorPayload,
  editorReducer,
  redoAvailable,
  undoAvailable,
} from "../editor/editorState";
import { blockingFindings, highlightByBox } from "../editor/findings";
import type { Size } from "../editor/geometry";
import { keyToAction, targetOwnsKey } from "../editor/hotkeys";
import { keyMap, labelDetails } from "../editor/labels";
import { newBoxInView } from "../editor/keyboardBox";
import { CommentList, RejectedList } from "../review/ReviewOverlay";
import { reworkPins, type ReworkContext } from "../review/reworkPins";
import { fitView, IDENTITY_VIEW, stageCenter, zoomAt, ZOOM_STEP, type View } from "../editor/viewTransform";

export interface WorkspaceProps {
  task: Task;
  onDone: (result: SubmitResult | null, how: DoneHow) => void;
  /** The saved draft to start from (a reload or another device), or null. */
  draft?: Draft | null;
  /** Every label with its colour and effective hotkey (the project's, the user's remaps applied). */
  labels?: LabelDetail[];
  instructions?: string;
  /** Saves the user's own label keys. */
  onRemap?: (keys: Record<string, string | null>) => Promise<void>;
  /** Changing an earlier answer: how to send it (no draft is kept meanwhile). */
  revise?: (taskId: string, payload: Payload, timeSpentMs: number) => Promise<SubmitResult>;
  /** Opens the list of one's recent answers. */
  onPrevious?: () => void;
  /** Reworking a rejected answer (sent with `revise`): the reviewer's comments, pinned over the image. */
  rework?: ReworkContext;
}

/** The reviewer's comments beside the canvas while reworking (numbered like the pins on the image). */
export function ReworkNote({ rework }: { rework: ReworkContext }) {
  return (
    <section className="panel" aria-label="Reviewer's comments" data-testid="rework-note">
      <p className="warn-text" role="status">
        Rework, round {rework.round}: a reviewer sent this answer back. Their comments are numbered on the image;
        Submit sends your corrected answer back to review.
      </p>
      <CommentList comments={rework.comments} />
      <RejectedList rejected={rework.rejected ?? []} first={rework.comments.length + 1} />
    </section>
  );
}

/** "Previous answers" (or, when changing one, the note saying so and the way back). */
export function PreviousAnswers({ revising, onPrevious }: { revising: boolean; onPrevious?: () => void }) {
  if (revising)
    return (
      <p className="panel warn-text" role="status" data-testid="revise-note">
        Changing an earlier answer: Submit saves the change.
      </p>
    );
  if (!onPrevious) return null;
  return (
    <button type="button" className="help-toggle" onClick={onPrevious} data-testid="previous-answers"
      title="Go back to your recent answers and change one while the project allows">
      Previous answers
    </button>
  );
}

export function BboxWorkspace({
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
  const image = useMemo(() => ({ width: task.item.width, height: task.item.height }), [task.item]);
  const [state, dispatch] = useReducer(editorReducer, undefined, () => {
    const start = draft && isBboxPayload(draft.payload) ? draft.payload : task.pre_annotation;
    return createEditorState(image, task.labels, isBboxPayload(start) ? start.boxes : []);
  });
  // The timer carries on from the draft's time.
  const [startedAt] = useState(() => performance.now() - (draft?.elapsed_ms ?? 0));
  const [view, setView] = useState<View>(IDENTITY_VIEW);
  const [stageSize, setStageSize] = useState<Size | null>(null);
  const [showHelp, setShowHelp] = useState(false);
  const [showInstructions, setShowInstructions] = useState(false);
  const [adjust, setAdjust] = useState(NO_ADJUSTMENT);
  const [skipping, setSkipping] = useState(false);
  const colours = useMemo(() => Object.fromEntries(labels.map((l) => [l.name, l.colour])), [labels]);
  const keys = useMemo(
    () => keyMap(task.labels, Object.fromEntries(labels.map((l) => [l.name, l.hotkey]))),
    [task.labels, labels],
  );

  const boxes = currentBoxes(state);
  const payload = useMemo(() => editorPayload(state), [state]);
  const lint = useLiveLint(task.id, payload, startedAt);
  const highlights = useMemo(() => highlightByBox(lint.findings), [lint.findings]);
  const pins = useMemo(() => (rework ? reworkPins(rework.comments, rework.pinned, rework.rejected) : undefined), [rework]);
  const blocking = lint.fresh ? blockingFindings(lint.findings) : [];
  const actions = useSubmit(task.id, startedAt, onDone, lint.setServerFindings, revise);
  const draftStatus = useDraft(task.id, payload, startedAt, undefined, !revise);

  // Fit the image when the stage is measured, and again whenever it changes size (the window was resized).
  useEffect(() => {
    if (stageSize) setView(fitView(image, stageSize));
  }, [stageSize, image]);

  const submit = () => {
    if (blocking.length === 0) void actions.submit(payload);
  };

  // Keyboard shortcuts (see editor/hotkeys.ts).
  const noSkip = !!rework; // a rework is not a queued task: nothing to skip
  const keyState = useRef({ state, stageSize, view, blocking, skipping, submit, keys, noSkip });
  keyState.current = { state, stageSize, view, blocking, skipping, submit, keys, noSkip };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const current = keyState.current;
      if (current.skipping || targetOwnsKey(e.target, e.key)) return;
      const action = keyToAction(e, "bbox", current.keys);
      if (!action) return;
      e.preventDefault();
      const stage = current.stageSize ?? { width: 800, height: 600 };
      switch (action.type) {
        case "label":
          dispatch({ type: "chooseLabel", label: task.labels[action.index] });
          break;
        case "delete":
          dispatch({ type: "delete" });
          break;
        case "undo":
          dispatch({ type: "undo" });
          break;
        case "redo":
          dispatch({ type: "redo" });
          break;
        case "zoomIn":
          setView((v) => zoomAt(v, ZOOM_STEP, stageCenter(stage)));
          break;
        case "zoomOut":
          setView((v) => zoomAt(v, 1 / ZOOM_STEP, stageCenter(stage)));
          break;
        case "fit":
          setView(fitView(current.state.image, stage));
          break;
        case "submit":
          current.submit();
          break;
        case "skip":
          if (!current.noSkip) setSkipping(true);
          break;
        case "deselect":
          dispatch({ type: "select", id: null });
          break;
        case "cycle":
          dispatch({ type: "cycleSelection", step: action.step });
          break;
        case "newBox":
          dispatch({ type: "add", rect: newBoxInView(current.state.image, stage, current.view) });
          break;
        case "nudge":
          dispatch({ type: "nudge", dx: action.dx, dy: action.dy });
          break;
        case "resize":
          dispatch({ type: "resizeBy", dw: action.dw, dh: action.dh });
          break;
        case "help":
          setShowHelp((s) => !s);
          break;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const zoomBy = (factor: number) => setView((v) => zoomAt(v, factor, stageCenter(stageSize ?? { width: 800, height: 600 })));

  return (
    <div
      className="workspace"
      data-testid="workspace"
      data-kind="bbox"
      data-task-id={task.id}
      data-elapsed-start={draft?.elapsed_ms ?? 0}
      onClickCapture={blurAfterMouseClick}
    >
      <aside className="ws-left" aria-label="Labels and tools">
        <LabelPalette
          labels={labels}
          active={state.activeLabel}
          onChoose={(label) => dispatch({ type: "chooseLabel", label })}
          onRemap={onRemap}
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
          aria-expanded={showHelp} aria-keyshortcuts="H" title="Show or hide the keyboard shortcuts (H)">
          Keyboard shortcuts <kbd>H</kbd>
        </button>
        {showHelp && <HelpPanel kind="bbox" onClose={() => setShowHelp(false)} />}
        <ImageAdjustPanel value={adjust} onChange={setAdjust} />
        {rework ? <ReworkNote rework={rework} /> : <PreviousAnswers revising={!!revise} onPrevious={onPrevious} />}
      </aside>

      <section className="ws-center" aria-label="Image">
        <div className="toolbar" role="toolbar" aria-label="View and edit">
          <button type="button" onClick={() => zoomBy(1 / ZOOM_STEP)} aria-label="Zoom out" data-testid="zoom-out"
            title="Zoom out (−)">
            −
          </button>
          <span className="zoom-level" data-testid="zoom-level">
            {Math.round(view.scale * 100)}%
          </span>
          <button type="button" onClick={() => zoomBy(ZOOM_STEP)} aria-label="Zoom in" data-testid="zoom-in"
            title="Zoom in (+)">
            +
          </button>
          <button type="button" onClick={() => stageSize && setView(fitView(image, stageSize))} data-testid="zoom-fit"
            title="Fit the whole image in the view (F)">
            Fit
          </button>
          <span className="toolbar-sep" />
          <button type="button" onClick={() => dispatch({ type: "undo" })} disabled={!undoAvailable(state)}
            data-testid="undo" aria-keyshortcuts="Control+Z" title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" onClick={() => dispatch({ type: "redo" })} disabled={!redoAvailable(state)}
            data-testid="redo" aria-keyshortcuts="Control+Shift+Z Control+Y" title="Redo (Ctrl+Shift+Z or Ctrl+Y)">
            Redo
          </button>
          <button type="button" onClick={() => dispatch({ type: "delete" })} disabled={!state.selectedId}
            data-testid="delete-box" aria-keyshortcuts="Delete" title="Delete the selected box (Delete)">
            Delete box
          </button>
          <span className="muted toolbar-hint">
            Active label: <strong data-testid="active-label">{state.activeLabel}</strong>
          </span>
        </div>
        <BoxCanvas
          imageUrl={task.item.image_url}
          image={image}
          boxes={boxes}
          labels={task.labels}
          colours={colours}
          imageFilter={cssFilter(adjust)}
          activeLabel={state.activeLabel}
          selectedId={state.selectedId}
          highlights={highlights}
          view={view}
          onViewChange={setView}
          onStageSize={setStageSize}
          onSelect={(id) => dispatch({ type: "select", id })}
          onDraw={(rect) => dispatch({ type: "add", rect })}
          onMove={(id, rect) => dispatch({ type: "moveTo", id, rect })}
          onResize={(id, rect) => dispatch({ type: "setRect", id, rect })}
          pins={pins}
        />
      </section>

      <aside className="ws-right">
        <BoxList
          boxes={boxes}
          colours={colours}
          labels={labels.filter((l) => !l.retired).map((l) => l.name)}
          selectedId={state.selectedId}
          highlights={highlights}
          onSelect={(id) => dispatch({ type: "select", id })}
          onRelabel={(id, label) => dispatch({ type: "relabel", id, label })}
          onDelete={(id) => dispatch({ type: "delete", id })}
        />
        <FindingsPanel
          findings={lint.findings}
          checking={lint.checking}
          error={lint.error}
          onShowBoxes={(indices) => indices.length > 0 && dispatch({ type: "selectIndex", index: indices[0] })}
        />
        <DraftStatus status={draftStatus} />
        <SubmitBar
          blocking={blocking}
          busy={actions.busy}
          error={actions.error}
          onSubmit={submit}
          onSkip={noSkip ? undefined : () => setSkipping(true)}
        />
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
