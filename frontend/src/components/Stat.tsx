/** A named figure in a `<dl className="stats">`; `small` for the denser lists (an export's counts). */
export function Stat({ name, value, testId, small = false }: { name: string; value: number | string; testId: string; small?: boolean }) {
  return (
    <div className={small ? "stat small-stat" : "stat"}>
      <dt>{name}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
