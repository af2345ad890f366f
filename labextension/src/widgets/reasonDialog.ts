/** Ask for the reason every action records (JupyterLab's own Dialog), and optional extra text. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export interface IReasonInput {
  reason: string;
  extra: string;
}

function textArea(labelText: string, placeholder: string, cls: string): [HTMLLabelElement, HTMLTextAreaElement] {
  const label = document.createElement('label');
  label.textContent = labelText;
  const input = document.createElement('textarea');
  input.className = `jp-mod-styled ${cls}`;
  input.rows = 3;
  input.placeholder = placeholder;
  label.appendChild(input);
  return [label, input];
}

class ReasonBody extends Widget implements Dialog.IBodyWidget<IReasonInput> {
  constructor(prompt: string, extraLabel: string | null) {
    super();
    this.addClass('jp-lifecycle-reason');
    const [label, input] = textArea(prompt, 'Reason (recorded in the audit trail)', 'jp-lifecycle-reason-text');
    this._input = input;
    this.node.appendChild(label);
    if (extraLabel) {
      const [l2, i2] = textArea(extraLabel, "Required; write 'none known' if there are none", 'jp-lifecycle-extra-text');
      this._extra = i2;
      this.node.appendChild(l2);
    }
  }

  getValue(): IReasonInput {
    return { reason: this._input.value, extra: this._extra?.value ?? '' };
  }

  protected onAfterAttach(): void {
    this._input.focus();
  }

  private _input: HTMLTextAreaElement;
  private _extra: HTMLTextAreaElement | null = null;
}

/** The reason (and extra text) typed, or null when cancelled or the reason is left empty. */
export async function askReason(
  title: string,
  prompt: string,
  accept: string,
  extraLabel: string | null = null
): Promise<IReasonInput | null> {
  const result = await showDialog<IReasonInput>({
    title,
    body: new ReasonBody(prompt, extraLabel),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: accept })],
    focusNodeSelector: 'textarea'
  });
  const value = result.value ?? { reason: '', extra: '' };
  const reason = value.reason.trim();
  return result.button.accept && reason ? { reason, extra: value.extra.trim() } : null;
}
