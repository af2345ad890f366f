/** Ask for the reason every action records (JupyterLab's own Dialog). */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

class ReasonBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(prompt: string) {
    super();
    this.addClass('jp-lifecycle-reason');
    const label = document.createElement('label');
    label.textContent = prompt;
    this._input = document.createElement('textarea');
    this._input.className = 'jp-mod-styled';
    this._input.rows = 3;
    this._input.placeholder = 'Reason (recorded in the audit trail)';
    label.appendChild(this._input);
    this.node.appendChild(label);
  }

  getValue(): string {
    return this._input.value;
  }

  protected onAfterAttach(): void {
    this._input.focus();
  }

  private _input: HTMLTextAreaElement;
}

/** The reason typed, or null when cancelled or left empty. */
export async function askReason(title: string, prompt: string, accept: string): Promise<string | null> {
  const result = await showDialog<string>({
    title,
    body: new ReasonBody(prompt),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: accept })],
    focusNodeSelector: 'textarea'
  });
  const reason = (result.value ?? '').trim();
  return result.button.accept && reason ? reason : null;
}
