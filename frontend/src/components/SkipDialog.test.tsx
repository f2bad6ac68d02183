// @vitest-environment jsdom
// The skip dialog as a modal: focus moves in, Tab and Shift+Tab stay inside, Escape closes and gives focus back.
import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SkipDialog } from "./SkipDialog";

/** A page with a button before and after the dialog's opener, as in the workspace. */
function Harness({ onConfirm = () => undefined }: { onConfirm?: (reason: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div>
      <button type="button">before</button>
      <button type="button" onClick={() => setOpen(true)} data-testid="opener">
        Skip…
      </button>
      <button type="button">after</button>
      {open && <SkipDialog busy={false} error={null} onConfirm={onConfirm} onCancel={() => setOpen(false)} />}
    </div>
  );
}

const presets = () => screen.getByTestId("skip-dialog").querySelectorAll<HTMLButtonElement>(".chips button");

async function openDialog() {
  const user = userEvent.setup();
  render(<Harness />);
  await user.click(screen.getByTestId("opener"));
  return user;
}

afterEach(() => vi.restoreAllMocks());

describe("SkipDialog", () => {
  it("is a modal dialog named by its title, and takes the focus into the reason field", async () => {
    await openDialog();
    const dialog = screen.getByRole("dialog", { name: "Skip this task" });
    expect(dialog).toBe(screen.getByTestId("skip-dialog"));
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(screen.getByRole("dialog", { description: /Esc or Cancel keeps the task/ })).toBe(dialog);
    expect(document.activeElement).toBe(screen.getByTestId("skip-reason"));
  });

  it("Tab and Shift+Tab cycle through the dialog's controls only", async () => {
    const user = await openDialog();
    const [first] = presets();
    // The confirm button is disabled while there is no reason: Cancel is the last control.
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId("skip-cancel"));
    await user.tab();
    expect(document.activeElement).toBe(first);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(screen.getByTestId("skip-cancel"));

    await user.click(first); // a preset fills the reason and enables the confirm button
    expect(screen.getByTestId("skip-reason")).toHaveProperty("value", first.textContent);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(screen.getByTestId("skip-confirm"));
    await user.tab();
    expect(document.activeElement).toBe(first);
    for (let i = 0; i < 12; i++) {
      await user.tab();
      expect(screen.getByTestId("skip-dialog").contains(document.activeElement)).toBe(true);
    }
  });

  it("brings focus that lands outside back in", async () => {
    await openDialog();
    screen.getByText("after").focus();
    expect(document.activeElement).toBe(screen.getByTestId("skip-reason"));
  });

  it("Escape closes it, returns the focus to its opener and is not seen by the page's shortcuts", async () => {
    const user = await openDialog();
    const pageKeys = vi.fn();
    window.addEventListener("keydown", pageKeys);
    try {
      await user.keyboard("{Escape}");
    } finally {
      window.removeEventListener("keydown", pageKeys);
    }
    expect(screen.queryByTestId("skip-dialog")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("opener"));
    expect(pageKeys).not.toHaveBeenCalled();
  });

  it("sends the trimmed reason", async () => {
    const onConfirm = vi.fn();
    render(<Harness onConfirm={onConfirm} />);
    fireEvent.click(screen.getByTestId("opener"));
    fireEvent.change(screen.getByTestId("skip-reason"), { target: { value: "  blurry  " } });
    fireEvent.click(screen.getByTestId("skip-confirm"));
    expect(onConfirm).toHaveBeenCalledWith("blurry");
  });
});
