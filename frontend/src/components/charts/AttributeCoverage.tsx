// Coverage of metadata attributes (site, camera, time of day): per attribute, each value's share of all items and
// of the labeled items beside the ML team's target share, from the API's metadata-attributes chart.
import { CategoryChart } from "./CategoryChart";

export interface AttributeRow {
  attribute: string;
  value: string;
  items: number;
  labeled: number;
  exported: number | null;
  labeled_share: number;
  target: number | null;
  under_target: boolean;
}

export interface AttributeChart {
  attribute: string;
  rows: {
    category: string;
    items: number;
    labeled: number;
    target: number | null;
    underTarget: boolean;
  }[];
}

const share = (n: number, total: number) => (total > 0 ? n / total : 0);

/** The long rows (one per attribute and value) as one chart per attribute, in the API's order, each value's
 * share of items and of labeled items (0 to 1) and its target share; values under their target are marked. */
export function attributeCharts(rows: AttributeRow[]): AttributeChart[] {
  const byAttribute = new Map<string, AttributeRow[]>();
  for (const r of rows) byAttribute.set(r.attribute, [...(byAttribute.get(r.attribute) ?? []), r]);
  return [...byAttribute.entries()].map(([attribute, values]) => {
    const items = values.reduce((n, r) => n + r.items, 0);
    const labeled = values.reduce((n, r) => n + r.labeled, 0);
    return {
      attribute,
      rows: values.map((r) => ({
        category: r.under_target ? `${r.value} (under target)` : r.value,
        items: share(r.items, items),
        labeled: share(r.labeled, labeled),
        target: r.target,
        underTarget: r.under_target,
      })),
    };
  });
}

export function AttributeCoverageCharts({
  rows,
  dataUrl,
  testId = "chart-metadata-attributes",
}: {
  rows: AttributeRow[];
  dataUrl?: string;
  testId?: string;
}) {
  const charts = attributeCharts(rows);
  if (charts.length === 0) {
    return (
      <CategoryChart
        title="Metadata attributes"
        testId={testId}
        dataUrl={dataUrl}
        rows={[]}
        bars={[{ key: "items", name: "Items" }]}
        empty="No item has metadata attributes yet."
      />
    );
  }
  return (
    <>
      {charts.map((chart) => (
        <CategoryChart
          key={chart.attribute}
          title={`Metadata: ${chart.attribute}`}
          description="Share of items and of labeled items per value, against the target share"
          testId={`${testId}-${chart.attribute}`}
          dataUrl={dataUrl}
          categoryLabel={chart.attribute}
          rows={chart.rows.map((r) => ({ category: r.category, items: r.items, labeled: r.labeled, target: r.target }))}
          bars={[
            { key: "items", name: "Items", colour: "#1f5fbf" },
            { key: "labeled", name: "Labeled", colour: "#237a3b" },
            { key: "target", name: "Target", colour: "#a16207" },
          ]}
        />
      ))}
    </>
  );
}
