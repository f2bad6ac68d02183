/** The heading of a details panel under a table, with one button beside it (Close, Refresh). */
export function PanelHead({
  titleId,
  title,
  button,
  onClick,
  buttonTestId,
}: {
  titleId: string;
  title: string;
  button: string;
  onClick: () => void;
  buttonTestId: string;
}) {
  return (
    <div className="card-head">
      <h3 id={titleId}>{title}</h3>
      <button type="button" onClick={onClick} data-testid={buttonTestId}>
        {button}
      </button>
    </div>
  );
}
