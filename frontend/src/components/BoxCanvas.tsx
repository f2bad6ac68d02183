// The bbox editor's canvas: the image and the boxes on a Konva stage. Boxes are drawn inside a group carrying
// the view transform, so every coordinate read from or written to a box node is in IMAGE pixels.
import Konva from "konva";
import type { KonvaEventObject } from "konva/lib/Node";
import { useCallback, useEffect, useRef, useState } from "react";
import { Group, Image as KonvaImage, Label, Layer, Rect as KonvaRect, Stage, Tag, Text, Transformer } from "react-konva";
import type { Severity } from "../api/types";
import type { EditorBox } from "../editor/boxes";
import { clampMove, clampPoint, clampRect, rectFromPoints, type Point, type Rect, type Size } from "../editor/geometry";
import { labelColor, SEVERITY_COLOR } from "../editor/labels";
import { panBy, screenToImage, zoomAt, ZOOM_STEP, type View } from "../editor/viewTransform";
import { targetOwnsKey } from "../editor/hotkeys";
import { needsFullResolution, previewUrl } from "../editor/imageLevel";
import type { ReworkPin } from "../review/reworkPins";
import { ImageFailed } from "./ImageFailed";
import { useHtmlImage } from "./useHtmlImage";

/** A drag shorter than this (screen pixels, either side) is a click, not a new box. */
const MIN_DRAW_SCREEN_PX = 4;
// A click on a box with a little jitter must not move it (and leave an undo step).
Konva.dragDistance = 3;

/** The colour of the reviewer's comment pins (the review workspace's). */
const PIN_COLOR = "#e4572e";

export interface BoxCanvasProps {
  imageUrl: string | null;
  image: Size;
  boxes: EditorBox[];
  labels: string[];
  activeLabel: string;
  selectedId: string | null;
  /** Worst finding severity per 0-based box index. */
  highlights: Map<number, Severity>;
  view: View;
  onViewChange: (view: View) => void;
  onStageSize: (size: Size) => void;
  onSelect: (id: string | null) => void;
  onDraw: (rect: Rect) => void;
  onMove: (id: string, rect: Rect) => void;
  onResize: (id: string, rect: Rect) => void;
  /** The project's label colours. */
  colours?: Record<string, string>;
  /** A CSS filter for the image only (brightness, contrast, gamma); the boxes keep their colours. */
  imageFilter?: string;
  /** A reviewer's comments pinned over the image while reworking (numbered like the comment list). */
  pins?: ReworkPin[];
}

type Interaction = { kind: "draw"; start: Point } | { kind: "pan"; last: Point };

export function BoxCanvas(props: BoxCanvasProps) {
  const { image, boxes, labels, selectedId, highlights, view } = props;
  const hostRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<Konva.Stage>(null);
  const transformerRef = useRef<Konva.Transformer>(null);
  const imageLayerRef = useRef<Konva.Layer>(null);
  const [stageSize, setStageSize] = useState<Size | null>(null); // null until the host is measured
  const [draft, setDraft] = useState<Rect | null>(null);
  const [spaceHeld, setSpaceHeld] = useState(false);
  const [shiftHeld, setShiftHeld] = useState(false);
  const [panning, setPanning] = useState(false);
  // Very large images: the preview first, the original once the view magnifies the preview's pixels.
  const previewLoad = useHtmlImage(props.imageUrl ? previewUrl(props.imageUrl) : null);
  const preview = previewLoad.image;
  const [fullWanted, setFullWanted] = useState<string | null>(null);
  // The view the canvas is mounted with is its parent's placeholder (scale 1) until the parent fits the image
  // to the measured stage: a preview in before that must not fetch the original (a busy page did).
  const placeholderView = useRef(view);
  const magnified =
    preview !== null &&
    view !== placeholderView.current &&
    needsFullResolution(view.scale, preview.naturalWidth, image.width);
  useEffect(() => {
    if (magnified && props.imageUrl) setFullWanted(props.imageUrl);
  }, [magnified, props.imageUrl]);
  const full = useHtmlImage(fullWanted !== null && fullWanted === props.imageUrl ? fullWanted : null).image;
  const picture = full ?? preview;
  const imageLevel = full ? "full" : preview && preview.naturalWidth < image.width ? "preview" : "full";
  // The image and a fresh URL of it failed (the original is only asked for once the preview is in).
  const failed = picture === null && previewLoad.failed;

  // Latest props for window listeners.
  const latest = useRef(props);
  latest.current = props;
  const interaction = useRef<Interaction | null>(null);
  const spaceRef = useRef(false);

  // Measure the host element; the stage fills it.
  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const measure = () => {
      const size = { width: Math.max(1, host.clientWidth), height: Math.max(1, host.clientHeight) };
      setStageSize((old) => (old && old.width === size.width && old.height === size.height ? old : size));
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(host);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (stageSize) latest.current.onStageSize(stageSize);
  }, [stageSize]);

  // Space held: pan mode.
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.key === "Shift") setShiftHeld(true);
      if (e.key !== " " || targetOwnsKey(e.target, e.key)) return;
      e.preventDefault();
      if (!spaceRef.current) {
        spaceRef.current = true;
        setSpaceHeld(true);
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === "Shift") setShiftHeld(false);
      if (e.key !== " ") return;
      spaceRef.current = false;
      setSpaceHeld(false);
    };
    const blur = () => {
      spaceRef.current = false;
      setSpaceHeld(false);
      setShiftHeld(false);
    };
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    window.addEventListener("blur", blur);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
      window.removeEventListener("blur", blur);
    };
  }, []);

  // The image has a layer (a canvas) of its own, so a CSS filter on it leaves the boxes alone.
  useEffect(() => {
    const canvas = imageLayerRef.current?.getCanvas()._canvas;
    if (canvas) canvas.style.filter = props.imageFilter ?? "none";
  }, [props.imageFilter]);

  // Attach the transformer to the selected box.
  useEffect(() => {
    const transformer = transformerRef.current;
    const stage = stageRef.current;
    if (!transformer || !stage) return;
    const node = selectedId ? stage.findOne(`#${selectedId}`) : undefined;
    transformer.nodes(node ? [node] : []);
    transformer.getLayer()?.batchDraw();
  }, [selectedId, boxes]);

  const clientToScreen = useCallback((clientX: number, clientY: number): Point => {
    const rect = hostRef.current?.getBoundingClientRect();
    return { x: clientX - (rect?.left ?? 0), y: clientY - (rect?.top ?? 0) };
  }, []);

  const onWindowMove = useCallback(
    (e: MouseEvent) => {
      const current = interaction.current;
      if (!current) return;
      const { view: v, image: size } = latest.current;
      if (current.kind === "pan") {
        const point = { x: e.clientX, y: e.clientY };
        latest.current.onViewChange(panBy(v, point.x - current.last.x, point.y - current.last.y));
        current.last = point;
        return;
      }
      const end = clampPoint(screenToImage(clientToScreen(e.clientX, e.clientY), v), size);
      setDraft(rectFromPoints(current.start, end));
    },
    [clientToScreen],
  );

  const onWindowUp = useCallback(
    (e: MouseEvent) => {
      const current = interaction.current;
      interaction.current = null;
      window.removeEventListener("mousemove", onWindowMove);
      window.removeEventListener("mouseup", onWindowUp);
      setPanning(false);
      setDraft(null);
      if (!current || current.kind !== "draw") return;
      const { view: v, image: size } = latest.current;
      const end = clampPoint(screenToImage(clientToScreen(e.clientX, e.clientY), v), size);
      const rect = rectFromPoints(current.start, end);
      if (rect.w * v.scale >= MIN_DRAW_SCREEN_PX && rect.h * v.scale >= MIN_DRAW_SCREEN_PX) {
        latest.current.onDraw(rect);
      } else {
        latest.current.onSelect(null);
      }
    },
    [clientToScreen, onWindowMove],
  );

  useEffect(
    () => () => {
      window.removeEventListener("mousemove", onWindowMove);
      window.removeEventListener("mouseup", onWindowUp);
    },
    [onWindowMove, onWindowUp],
  );

  const begin = (next: Interaction) => {
    interaction.current = next;
    window.addEventListener("mousemove", onWindowMove);
    window.addEventListener("mouseup", onWindowUp);
  };

  const onStageMouseDown = (e: KonvaEventObject<MouseEvent>) => {
    const evt = e.evt;
    hostRef.current?.focus({ preventScroll: true });
    if (evt.button === 1 || (evt.button === 0 && spaceRef.current)) {
      evt.preventDefault();
      setPanning(true);
      begin({ kind: "pan", last: { x: evt.clientX, y: evt.clientY } });
      return;
    }
    if (evt.button !== 0) return;
    // Draw on empty space; with Shift held, also over existing boxes (but not on the resize handles).
    const target = e.target;
    const onHandle = target.getParent()?.getClassName() === "Transformer";
    const onEmpty = target === target.getStage() || target.name() === "background";
    if (!onEmpty && !(evt.shiftKey && !onHandle)) return;
    evt.preventDefault();
    const screen = clientToScreen(evt.clientX, evt.clientY);
    const start = clampPoint(screenToImage(screen, view), image);
    setDraft({ x: start.x, y: start.y, w: 0, h: 0 });
    begin({ kind: "draw", start });
  };

  const onWheel = (e: KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    const anchor = clientToScreen(e.evt.clientX, e.evt.clientY);
    const factor = e.evt.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
    props.onViewChange(zoomAt(view, factor, anchor));
  };

  const onBoxMouseDown = (id: string) => (e: KonvaEventObject<MouseEvent>) => {
    if (e.evt.button !== 0 || spaceRef.current || e.evt.shiftKey) return; // let the stage pan or draw
    e.cancelBubble = true;
    hostRef.current?.focus({ preventScroll: true });
    props.onSelect(id);
  };

  const onBoxDragMove = (id: string) => (e: KonvaEventObject<DragEvent>) => {
    const label = stageRef.current?.findOne(`#${id}-label`);
    label?.position({ x: e.target.x(), y: e.target.y() });
  };

  const onBoxDragEnd = (box: EditorBox) => (e: KonvaEventObject<DragEvent>) => {
    const node = e.target;
    const moved = clampMove({ x: node.x(), y: node.y(), w: box.w, h: box.h }, image);
    node.position({ x: moved.x, y: moved.y });
    props.onMove(box.id, moved);
  };

  const onBoxTransformEnd = (box: EditorBox) => (e: KonvaEventObject<Event>) => {
    const node = e.target;
    const raw = { x: node.x(), y: node.y(), w: node.width() * node.scaleX(), h: node.height() * node.scaleY() };
    const rect = clampRect(raw, image);
    node.scale({ x: 1, y: 1 });
    node.position({ x: rect.x, y: rect.y });
    node.size({ width: rect.w, height: rect.h });
    props.onResize(box.id, rect);
  };

  const cursor = panning ? "grabbing" : spaceHeld ? "grab" : "crosshair";

  return (
    <div
      ref={hostRef}
      className="canvas-host"
      tabIndex={0}
      role="application"
      aria-label="Image canvas. Drag on the image to draw a box with the active label; press H for shortcuts."
      data-testid="canvas-stage"
      data-view-scale={view.scale}
      data-view-x={view.x}
      data-view-y={view.y}
      data-image-width={image.width}
      data-image-height={image.height}
      data-image-level={picture ? imageLevel : failed ? "failed" : "loading"}
      data-box-count={boxes.length}
      data-pins={(props.pins ?? []).map((p) => `${p.number}:${p.kind}${p.box !== null ? `:${p.box + 1}` : ""}`).join(",")}
      data-highlighted={[...highlights.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, severity]) => `${index + 1}:${severity}`)
        .join(",")}
      style={{ cursor }}
      onContextMenu={(e) => e.preventDefault()}
    >
      <Stage
        ref={stageRef}
        width={stageSize?.width ?? 1}
        height={stageSize?.height ?? 1}
        onMouseDown={onStageMouseDown}
        onWheel={onWheel}
      >
        <Layer ref={imageLayerRef}>
          <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
            {picture ? (
              <KonvaImage name="background" image={picture} x={0} y={0} width={image.width} height={image.height} />
            ) : (
              <KonvaRect name="background" x={0} y={0} width={image.width} height={image.height} fill="#d9d9d9" />
            )}
          </Group>
        </Layer>
        <Layer>
          <Group x={view.x} y={view.y} scaleX={view.scale} scaleY={view.scale}>
            {boxes.map((box, index) => {
              const severity = highlights.get(index);
              const selected = box.id === selectedId;
              const color = severity ? SEVERITY_COLOR[severity] : labelColor(box.label, labels, props.colours);
              return (
                <KonvaRect
                  key={box.id}
                  id={box.id}
                  name="box"
                  x={box.x}
                  y={box.y}
                  width={box.w}
                  height={box.h}
                  stroke={color}
                  strokeWidth={severity ? 3 : selected ? 2.5 : 2}
                  dash={severity ? [8, 4] : undefined}
                  strokeScaleEnabled={false}
                  fill={selected ? "rgba(255,255,255,0.18)" : "rgba(255,255,255,0.04)"}
                  draggable={!spaceHeld && !shiftHeld}
                  onMouseDown={onBoxMouseDown(box.id)}
                  onDragMove={onBoxDragMove(box.id)}
                  onDragEnd={onBoxDragEnd(box)}
                  onTransformEnd={onBoxTransformEnd(box)}
                />
              );
            })}
            {boxes.map((box, index) => {
              const severity = highlights.get(index);
              return (
                <Label
                  key={`${box.id}-label`}
                  id={`${box.id}-label`}
                  x={box.x}
                  y={box.y}
                  scaleX={1 / view.scale}
                  scaleY={1 / view.scale}
                  offsetY={17}
                  listening={false}
                >
                  <Tag fill={severity ? SEVERITY_COLOR[severity] : labelColor(box.label, labels, props.colours)} opacity={0.85} />
                  <Text text={`${index + 1} ${box.label}`} fontSize={12} padding={2} fill="#fff" />
                </Label>
              );
            })}
            {(props.pins ?? []).map((pin) => (
              <Group key={`pin-${pin.number}`} listening={false} name="review-pin">
                <KonvaRect
                  x={pin.x}
                  y={pin.y}
                  width={pin.w}
                  height={pin.h}
                  stroke={PIN_COLOR}
                  strokeWidth={pin.kind === "rejected" ? 3 : 2}
                  dash={pin.kind === "region" ? [6, 4] : pin.kind === "rejected" ? undefined : [2, 3]}
                  strokeScaleEnabled={false}
                />
                <Label x={pin.x + pin.w} y={pin.y} scaleX={1 / view.scale} scaleY={1 / view.scale} offsetX={-2} offsetY={8}>
                  <Tag fill={PIN_COLOR} cornerRadius={8} />
                  <Text text={String(pin.number)} fontSize={12} fontStyle="bold" padding={3} fill="#fff" />
                </Label>
              </Group>
            ))}
            {draft && (
              <KonvaRect
                x={draft.x}
                y={draft.y}
                width={draft.w}
                height={draft.h}
                stroke={labelColor(props.activeLabel, labels, props.colours)}
                strokeWidth={2}
                dash={[4, 4]}
                strokeScaleEnabled={false}
                listening={false}
              />
            )}
          </Group>
          <Transformer
            ref={transformerRef}
            rotateEnabled={false}
            keepRatio={false}
            ignoreStroke
            flipEnabled={false}
            anchorSize={9}
            boundBoxFunc={(oldBox, newBox) => (newBox.width < 3 || newBox.height < 3 ? oldBox : newBox)}
          />
        </Layer>
      </Stage>
      {failed && <ImageFailed className="canvas-image-failed" onRetry={previewLoad.retry} />}
    </div>
  );
}
