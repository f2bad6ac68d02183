// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { cssFilter, gammaExponent } from "./imageAdjust";
import { ImageAdjustPanel } from "./ImageAdjustPanel";
import { InstructionsPanel } from "./InstructionsPanel";
import { renderMarkdown } from "./markdown";

describe("instructions", () => {
  it("renders Markdown and leaves a script tag inert (shown as text)", () => {
    const html = renderMarkdown("# Rules\n\n**Box** every car.\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>");
    expect(html).toContain("<h1>Rules</h1>");
    expect(html).toContain("<strong>Box</strong>");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img src=\"x\"");
    expect(html).toContain("&lt;script&gt;");
  });

  it("refuses javascript: links and opens others in a new tab", () => {
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("href=\"javascript:");
    expect(renderMarkdown("[guide](https://example.org/g)")).toContain('target="_blank"');
  });

  it("the panel puts no live script in the page", () => {
    render(<InstructionsPanel markdown={"Hi <script>window.hacked = true</script>"} onClose={() => undefined} />);
    const panel = screen.getByTestId("instructions-panel");
    expect(panel.querySelector("script")).toBeNull();
    expect(panel.textContent).toContain("<script>");
  });
});

describe("image adjustments", () => {
  it("maps the sliders to a CSS filter; unchanged is none", () => {
    expect(cssFilter({ brightness: 1, contrast: 1, gamma: 1 })).toBe("none");
    expect(cssFilter({ brightness: 1.5, contrast: 0.8, gamma: 2 })).toBe(
      "brightness(1.5) contrast(0.8) url(#aqc-gamma)",
    );
    expect(gammaExponent(2)).toBe(0.5);
  });

  it("moving a slider reports the new value; reset goes back", () => {
    let value = { brightness: 1, contrast: 1, gamma: 1 };
    const { rerender } = render(<ImageAdjustPanel value={value} onChange={(v) => (value = v)} />);
    fireEvent.change(screen.getByTestId("adjust-gamma"), { target: { value: "2" } });
    expect(value.gamma).toBe(2);
    rerender(<ImageAdjustPanel value={value} onChange={(v) => (value = v)} />);
    expect(document.querySelector("feFuncR")?.getAttribute("exponent")).toBe("0.5");
    fireEvent.click(screen.getByTestId("adjust-reset"));
    expect(value).toEqual({ brightness: 1, contrast: 1, gamma: 1 });
  });
});
