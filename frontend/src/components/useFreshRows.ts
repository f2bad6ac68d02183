import { useEffect, useState } from "react";

/** Rows the server returned from a PATCH or POST, shown in place of the listed ones until the list reloads. */
export function useFreshRows<T extends { id: number }>(list: T[] | null): [T[], (row: T) => void] {
  const [fresh, setFresh] = useState<Map<number, T>>(new Map());
  useEffect(() => setFresh(new Map()), [list]);
  const rows = (list ?? []).map((row) => fresh.get(row.id) ?? row);
  return [rows, (row: T) => setFresh((m) => new Map(m).set(row.id, row))];
}
