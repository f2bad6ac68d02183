import { describe, expect, it } from "vitest";
import { seriesBy } from "./ChartsPage";

describe("seriesBy", () => {
  it("splits long rows into one series per key, with the band when asked", () => {
    const rows = [
      { username: "ann", day: "2026-12-01", accuracy: 0.5, low: 0.2, high: 0.8 },
      { username: "bob", day: "2026-12-01", accuracy: 1, low: 0.4, high: 1 },
      { username: "ann", day: "2026-12-02", accuracy: 0.75, low: 0.4, high: 0.9 },
    ];
    const series = seriesBy(rows, "username", (r) => Date.parse(`${r.day}T00:00:00Z`) / 1000, "accuracy", ["low", "high"]);
    expect(series.map((s) => s.name)).toEqual(["ann", "bob"]);
    expect(series[0].points).toEqual([
      { t: Date.UTC(2026, 11, 1) / 1000, value: 0.5, low: 0.2, high: 0.8 },
      { t: Date.UTC(2026, 11, 2) / 1000, value: 0.75, low: 0.4, high: 0.9 },
    ]);
    const plain = seriesBy(rows, "username", () => 0, "accuracy");
    expect(plain[1].points[0]).toEqual({ t: 0, value: 1, low: undefined, high: undefined });
  });
});
