// What is shown in place of an image that could not be loaded, even from a fresh URL (see freshImage.ts).
export function ImageFailed({ onRetry, className }: { onRetry: () => void; className?: string }) {
  return (
    <div className={`no-image image-failed${className ? ` ${className}` : ""}`} role="alert" data-testid="image-failed">
      <p>
        The image could not be loaded.{" "}
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      </p>
    </div>
  );
}
