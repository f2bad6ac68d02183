import { labelColor } from "../editor/labels";

/** One button per label; the first nine carry hotkeys 1-9. */
export function LabelPalette({
  labels,
  active,
  onChoose,
  title = "Labels",
}: {
  labels: string[];
  active: string | null;
  onChoose: (label: string) => void;
  title?: string;
}) {
  return (
    <section className="panel label-palette" aria-label={title} data-testid="label-palette">
      <h2>{title}</h2>
      <div className="label-buttons">
        {labels.map((label, i) => (
          <button
            key={label}
            type="button"
            className={label === active ? "label-button active" : "label-button"}
            aria-pressed={label === active}
            aria-keyshortcuts={i < 9 ? String(i + 1) : undefined}
            data-testid="label-button"
            data-label={label}
            onClick={() => onChoose(label)}
          >
            <span className="swatch" style={{ background: labelColor(label, labels) }} aria-hidden />
            {i < 9 && <kbd>{i + 1}</kbd>}
            <span className="label-name">{label}</span>
          </button>
        ))}
      </div>
    </section>
  );
}
