import { afterEach } from "vitest";

// Component tests run in jsdom (a "@vitest-environment jsdom" comment at the top of the file); the editor's
// pure modules run in plain node, which starts much faster.
if (typeof window !== "undefined") {
  const { cleanup } = await import("@testing-library/react");
  afterEach(() => cleanup());
}
