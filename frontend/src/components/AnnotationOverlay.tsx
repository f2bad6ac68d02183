// Read-only view of one image with several annotations drawn over it in distinct styles (inline SVG).
import { isBboxPayload, isClassificationPayload, type Item, type Payload, type TaskItem } from "../api/types";
import { previewUrl } from "../editor/imageLevel";
import { useFreshImage } from "./freshImage";
import { ImageFailed } from "./ImageFailed";

export interface OverlayLayer {
  key: string;
  name: string;
  payload: Payload | null | undefined;
  color: string;
  dash?: string;
  width?: number;
}

export function AnnotationOverlay({
  item,
  layers,
  maxWidth = 520,
}: {
  item: Item | TaskItem;
  layers: OverlayLayer[];
  maxWidth?: number;
}) {
  const { width, height } = item;
  // Fitted into a few hundred pixels: a very large image's preview is enough (see editor/imageLevel).
  const image = useFreshImage(item.image_url ? previewUrl(item.image_url) : null);
  return (
    <div className="overlay" style={{ maxWidth, aspectRatio: `${width} / ${height}` }} data-testid="overlay">
      {image.failed ? (
        <ImageFailed onRetry={image.retry} />
      ) : image.src ? (
        <img key={image.attempt} src={image.src} alt={`Item ${item.id}`} onError={image.onError} />
      ) : (
        <div className="no-image" />
      )}
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden>
        {layers.map((layer) =>
          isBboxPayload(layer.payload)
            ? layer.payload.boxes.map((b, i) => (
                <g key={`${layer.key}-${i}`} data-testid="overlay-box" data-kind={layer.key} data-label={b.label}>
                  <rect
                    x={b.x}
                    y={b.y}
                    width={b.w}
                    height={b.h}
                    fill="none"
                    stroke={layer.color}
                    strokeWidth={layer.width ?? 2}
                    strokeDasharray={layer.dash}
                    vectorEffect="non-scaling-stroke"
                  />
                  <title>{`${layer.name} #${i + 1}: ${b.label}`}</title>
                </g>
              ))
            : null,
        )}
      </svg>
    </div>
  );
}

export function Legend({
  layers,
  hidden,
  onToggle,
}: {
  layers: OverlayLayer[];
  hidden: Set<string>;
  onToggle: (key: string) => void;
}) {
  return (
    <div className="legend" data-testid="legend">
      {layers.map((layer) => (
        <label key={layer.key} className="legend-item" data-testid="legend-item" data-kind={layer.key}>
          <input type="checkbox" checked={!hidden.has(layer.key)} onChange={() => onToggle(layer.key)} />
          <svg width={28} height={12} aria-hidden>
            <line x1={1} x2={27} y1={6} y2={6} stroke={layer.color} strokeWidth={layer.width ?? 2}
              strokeDasharray={layer.dash} />
          </svg>
          {layer.name}
          {isClassificationPayload(layer.payload) && !hidden.has(layer.key) && (
            <strong className="legend-class" data-testid="legend-class">
              {" "}
              {layer.payload.label}
            </strong>
          )}
        </label>
      ))}
    </div>
  );
}

/** A short text description of a payload ("3 boxes: car, car, person" or "label cat"). */
export function describePayload(payload: Payload | null | undefined): string {
  if (isBboxPayload(payload)) {
    const n = payload.boxes.length;
    return `${n} box${n === 1 ? "" : "es"}${n ? `: ${payload.boxes.map((b) => b.label).join(", ")}` : ""}`;
  }
  if (isClassificationPayload(payload)) return `label ${payload.label}`;
  return "—";
}
