import { GAMMA_FILTER_ID, gammaExponent, NO_ADJUSTMENT, type ImageAdjustment } from "./imageAdjust";

const SLIDERS: { key: keyof ImageAdjustment; label: string; min: number; max: number; help: string }[] = [
  { key: "brightness", label: "Brightness", min: 0.3, max: 3, help: "Lighten or darken the image" },
  { key: "contrast", label: "Contrast", min: 0.3, max: 3, help: "Spread or compress the image's tones" },
  { key: "gamma", label: "Gamma", min: 0.3, max: 3, help: "Above 1 brings out detail in dark areas" },
];

/** Sliders for the image's brightness, contrast and gamma, and the SVG filter that does the gamma. */
export function ImageAdjustPanel({
  value,
  onChange,
}: {
  value: ImageAdjustment;
  onChange: (value: ImageAdjustment) => void;
}) {
  const exponent = gammaExponent(value.gamma);
  return (
    <section className="panel image-adjust" aria-label="Image adjustments" data-testid="image-adjust">
      <h2>Image</h2>
      {SLIDERS.map((s) => (
        <label key={s.key} className="slider-row" title={s.help}>
          <span>{s.label}</span>
          <input
            type="range"
            min={s.min}
            max={s.max}
            step={0.05}
            value={value[s.key]}
            data-testid={`adjust-${s.key}`}
            onChange={(e) => onChange({ ...value, [s.key]: Number(e.target.value) })}
          />
          <output>{value[s.key].toFixed(2)}</output>
        </label>
      ))}
      <button
        type="button"
        onClick={() => onChange(NO_ADJUSTMENT)}
        data-testid="adjust-reset"
        title="Back to the image as it is"
      >
        Reset image
      </button>
      <svg width="0" height="0" aria-hidden="true" focusable="false" style={{ position: "absolute" }}>
        <filter id={GAMMA_FILTER_ID}>
          <feComponentTransfer>
            <feFuncR type="gamma" amplitude="1" exponent={exponent} offset="0" />
            <feFuncG type="gamma" amplitude="1" exponent={exponent} offset="0" />
            <feFuncB type="gamma" amplitude="1" exponent={exponent} offset="0" />
          </feComponentTransfer>
        </filter>
      </svg>
    </section>
  );
}
