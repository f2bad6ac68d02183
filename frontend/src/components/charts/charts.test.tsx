// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CategoryChart, HistogramChart, TimeSeriesChart, histogram, widen } from ".";

describe("chart helpers", () => {
  it("widen merges series on their times, with the band as [low, high]", () => {
    const rows = widen([
      { id: "a", name: "A", points: [{ t: 20, value: 0.5, low: 0.4, high: 0.6 }, { t: 10, value: 0.1 }] },
      { id: "b", name: "B", points: [{ t: 20, value: 0.7 }] },
    ]);
    expect(rows.map((r) => r.t)).toEqual([10, 20]);
    expect(rows[1]).toEqual({ t: 20, v0: 0.5, b0: [0.4, 0.6], v1: 0.7 });
    expect(rows[0].v1).toBeUndefined();
  });

  it("histogram counts every finite value once, the maximum in the last bin", () => {
    const bins = histogram([0, 0.1, 0.5, 1, Number.NaN], 4);
    expect(bins.map((b) => b.count)).toEqual([2, 0, 1, 1]);
    expect(bins[0].start).toBe(0);
    expect(bins[3].end).toBe(1);
    expect(histogram([], 4)).toEqual([]);
    expect(histogram([2, 2], 2).map((b) => b.count)).toEqual([1, 1].map((_, i) => (i === 1 ? 2 : 0)));
  });
});

describe("charts", () => {
  it("a time series shows its figures as a table on request and links the data", () => {
    render(
      <TimeSeriesChart
        title="Skill"
        testId="skill-chart"
        dataUrl="/api/v1/projects/1/charts/skill/"
        series={[{ id: "u1", name: "ann1", points: [{ t: 1_700_000_000, value: 0.8, low: 0.7, high: 0.9 }] }]}
      />,
    );
    const figure = screen.getByTestId("skill-chart");
    expect(figure.tagName).toBe("FIGURE");
    expect(figure.querySelector("figcaption")?.textContent).toContain("Skill");
    expect(figure.querySelector(".chart-body svg")).not.toBeNull();
    const table = screen.getByTestId("skill-chart-table");
    expect(table.hidden).toBe(true);
    fireEvent.click(screen.getByTestId("skill-chart-table-toggle"));
    expect(table.hidden).toBe(false);
    const cells = within(table).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(["2023-11-14 22:13", "0.800", "0.700", "0.900"]);
    expect(screen.getByTestId("skill-chart-json").getAttribute("href")).toBe("/api/v1/projects/1/charts/skill/");
    expect(screen.getByTestId("skill-chart-csv").getAttribute("href")).toBe(
      "/api/v1/projects/1/charts/skill/?format=csv",
    );
  });

  it("says so when there is nothing to draw", () => {
    render(<CategoryChart title="Findings" testId="f" rows={[]} bars={[{ key: "n", name: "Findings" }]} empty="None" />);
    expect(screen.getByTestId("f-empty").textContent).toBe("None");
    expect(screen.queryByTestId("f-table-toggle")).toBeNull();
    render(<HistogramChart title="Scores" testId="h" values={[]} />);
    expect(screen.getByTestId("h-empty")).toBeTruthy();
  });

  it("category rows become table rows with one column per bar series", () => {
    render(
      <CategoryChart
        title="Outcomes"
        testId="o"
        categoryLabel="Error kind"
        rows={[{ category: "shift", fixed: 3, missed: 1 }]}
        bars={[
          { key: "fixed", name: "Fixed" },
          { key: "missed", name: "Missed" },
        ]}
      />,
    );
    const table = screen.getByTestId("o-table");
    expect(within(table).getAllByRole("columnheader", { hidden: true }).map((h) => h.textContent)).toEqual([
      "Error kind",
      "Fixed",
      "Missed",
    ]);
    expect(within(table).getAllByRole("cell", { hidden: true }).map((c) => c.textContent)).toEqual(["shift", "3", "1"]);
  });
});
