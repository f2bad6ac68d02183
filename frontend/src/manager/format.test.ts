import { describe, expect, it } from "vitest";
import { formatBytes, formatTime, plural } from "./format";

describe("formatting", () => {
  it("sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(54249)).toBe("53 KB");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
    expect(formatBytes(null)).toBe("—");
  });

  it("times and counted nouns", () => {
    expect(formatTime(null)).toBe("—");
    expect(formatTime("2026-11-25T10:00:00Z")).toBe(new Date("2026-11-25T10:00:00Z").toLocaleString());
    expect(plural(1, "rule")).toBe("1 rule");
    expect(plural(0, "rule")).toBe("0 rules");
  });
});
