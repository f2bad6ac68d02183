// The pieces of a form field: its label, its control's aria attributes and the list of its errors.
import type { ReactNode } from "react";

/** A field's error messages as a list (`id` is what the control's aria-describedby names), or nothing. */
export function FieldErrorList({ messages, id, testId }: { messages: string[] | undefined; id: string; testId: string }) {
  if (!messages || messages.length === 0) return null;
  return (
    <ul id={id} className="field-errors" data-testid={testId}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

/** aria-invalid and aria-describedby of a control: its hint, if it has one, and its errors' list when there are any. */
export function fieldAria(errors: string[] | undefined, errorId: string, hintId?: string) {
  return {
    "aria-invalid": errors ? true : undefined,
    "aria-describedby": [hintId, errors ? errorId : ""].filter(Boolean).join(" ") || undefined,
  };
}

/** A labelled field: the label, the control and its hint (the children), then the field's errors. */
export function Field({
  htmlFor,
  label,
  errors,
  errorId,
  errorTestId,
  className = "field",
  children,
}: {
  htmlFor: string;
  label: ReactNode;
  errors: string[] | undefined;
  errorId: string;
  errorTestId: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={`${className}${errors ? " invalid" : ""}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      <FieldErrorList id={errorId} messages={errors} testId={errorTestId} />
    </div>
  );
}
