import { hotkeyHelp, type WorkspaceKind } from "../editor/hotkeys";

export function HelpPanel({ kind, onClose }: { kind: WorkspaceKind; onClose: () => void }) {
  return (
    <section className="panel help-panel" aria-label="Keyboard shortcuts" data-testid="help-panel">
      <h2>Keyboard shortcuts</h2>
      <table>
        <tbody>
          {hotkeyHelp(kind).map((h) => (
            <tr key={h.keys}>
              <th scope="row">
                <kbd>{h.keys}</kbd>
              </th>
              <td>{h.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={onClose} data-testid="help-close" title="Hide the shortcuts (H)">
        Close
      </button>
    </section>
  );
}
