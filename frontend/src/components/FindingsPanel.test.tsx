// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Finding } from "../api/types";
import { FindingsPanel } from "./FindingsPanel";

const findings: Finding[] = [
  { code: "oversized_box", severity: "warning", message: "Box 2 covers 93% of the image.", boxes: [1] },
  { code: "box_out_of_bounds", severity: "error", message: "Box 1 lies outside the image.", boxes: [0] },
  { code: "too_fast", severity: "warning", message: "Submitted very fast.", boxes: [] },
];

describe("FindingsPanel", () => {
  it("lists errors first, with severity, code and 1-based box references", () => {
    render(<FindingsPanel findings={findings} checking={false} onShowBoxes={() => undefined} />);
    const items = screen.getAllByTestId("finding-item");
    expect(items.map((i) => i.dataset.code)).toEqual(["box_out_of_bounds", "oversized_box", "too_fast"]);
    expect(items[0].dataset.severity).toBe("error");
    expect(within(items[0]).getByText("Error")).toBeTruthy();
    expect(within(items[1]).getByRole("button").textContent).toBe("Box 2");
    expect(items[1].dataset.boxes).toBe("2");
    expect(within(items[2]).queryByRole("button")).toBeNull();
    expect(screen.getByTestId("findings-panel").dataset.count).toBe("3");
  });

  it("choosing a finding shows its boxes (0-based indices for the editor)", () => {
    const onShowBoxes = vi.fn();
    render(<FindingsPanel findings={findings} checking={false} onShowBoxes={onShowBoxes} />);
    fireEvent.click(within(screen.getAllByTestId("finding-item")[1]).getByRole("button"));
    expect(onShowBoxes).toHaveBeenCalledWith([1]);
  });

  it("says so when there is nothing, and while checking", () => {
    const { rerender } = render(<FindingsPanel findings={[]} checking={false} />);
    expect(screen.getByTestId("findings-empty")).toBeTruthy();
    rerender(<FindingsPanel findings={[]} checking />);
    expect(screen.queryByTestId("findings-empty")).toBeNull();
    expect(screen.getByTestId("findings-checking")).toBeTruthy();
  });
});
