// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AttributeCoverageCharts, HistogramChart, attributeCharts, type AttributeRow } from ".";

const rows: AttributeRow[] = [
  { attribute: "site", value: "north", items: 6, labeled: 3, exported: null, labeled_share: 1, target: null, under_target: false },
  { attribute: "site", value: "south", items: 2, labeled: 0, exported: null, labeled_share: 0, target: 0.5, under_target: true },
  { attribute: "camera", value: "3", items: 8, labeled: 3, exported: null, labeled_share: 1, target: null, under_target: false },
];

describe("attributeCharts", () => {
  it("makes one chart per attribute with each value's share of items and of labeled items", () => {
    const charts = attributeCharts(rows);
    expect(charts.map((c) => c.attribute)).toEqual(["site", "camera"]);
    expect(charts[0].rows).toEqual([
      { category: "north", items: 0.75, labeled: 1, target: null, underTarget: false },
      { category: "south (under target)", items: 0.25, labeled: 0, target: 0.5, underTarget: true },
    ]);
    expect(charts[1].rows[0]).toMatchObject({ category: "3", items: 1, labeled: 1 });
  });

  it("gives shares of 0, not NaN, when nothing is labeled", () => {
    const [chart] = attributeCharts([{ ...rows[1], labeled: 0 }]);
    expect(chart.rows[0].labeled).toBe(0);
  });
});

describe("data charts", () => {
  it("draws a Recharts bar chart per attribute with its figures as a table and the data links", () => {
    render(<AttributeCoverageCharts rows={rows} dataUrl="/api/v1/projects/1/charts/metadata-attributes/" />);
    const site = screen.getByTestId("chart-metadata-attributes-site");
    expect(site.querySelector("figcaption")?.textContent).toContain("Metadata: site");
    expect(site.querySelector(".chart-body svg")).not.toBeNull();
    expect(screen.getByTestId("chart-metadata-attributes-camera")).toBeTruthy();
    fireEvent.click(screen.getByTestId("chart-metadata-attributes-site-table-toggle"));
    const cells = within(screen.getByTestId("chart-metadata-attributes-site-table"))
      .getAllByRole("cell")
      .map((c) => c.textContent);
    expect(cells[0]).toBe("north");
    expect(cells).toContain("south (under target)");
    expect(screen.getByTestId("chart-metadata-attributes-site-csv").getAttribute("href")).toBe(
      "/api/v1/projects/1/charts/metadata-attributes/?format=csv",
    );
  }, 30_000); // two charts rendered in jsdom: slow on a loaded machine

  it("says so when no item has attributes", () => {
    render(<AttributeCoverageCharts rows={[]} />);
    expect(screen.getByTestId("chart-metadata-attributes-empty").textContent).toBe("No item has metadata attributes yet.");
  });

  it("draws box sizes from the API's bins", () => {
    render(
      <HistogramChart
        title="Box sizes"
        testId="chart-box-sizes"
        valueLabel="Relative size"
        bins={[
          { start: 0, end: 0.01, count: 1 },
          { start: 0.1, end: 0.2, count: 4 },
        ]}
      />,
    );
    const figure = screen.getByTestId("chart-box-sizes");
    expect(figure.getAttribute("data-rows")).toBe("2");
    expect(figure.querySelector(".chart-body svg")).not.toBeNull();
  });
});
