/**
 * The "Lifecycle" left-sidebar panel: toolbar (search, workspace, refresh), status line, the compact asset
 * list and a one-version summary. Versions open in the main-area workspace (`lifecycle:open-workspace`).
 */
import { Toolbar, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { IMessage, LifecycleModel } from '../model';
import { AssetList } from './assetList';
import { clear, h } from './dom';
import { gateChecks } from './promotion';
import { VersionSummary } from './summary';

class StatusLine extends Widget {
  constructor(model: LifecycleModel) {
    super();
    this.addClass('jp-lifecycle-status');
    this._model = model;
    model.messageChanged.connect(this._render, this);
    this.hide();
  }

  private _render(_: LifecycleModel, msg: IMessage | null): void {
    clear(this.node);
    if (!msg) {
      this.hide();
      return;
    }
    this.node.dataset.level = msg.level;
    // with a gate report: the first line of the server's message and only the checks that did not pass (the
    // whole report is in the Promotion section below, once)
    this.node.appendChild(h('span', undefined, msg.report ? msg.text.split('\n')[0] : msg.text));
    if (msg.report) {
      this.node.appendChild(
        gateChecks({ ...msg.report, checks: msg.report.checks.filter(c => c.status !== 'pass') })
      );
    }
    const close = h('button', 'jp-lifecycle-dismiss', '\u00d7');
    close.type = 'button';
    close.title = 'Dismiss';
    close.addEventListener('click', () => this.hide());
    this.node.appendChild(close);
    this.show();
  }

  dispose(): void {
    this._model.messageChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _model: LifecycleModel;
}

/** Who the REST API acts as for this browser (the handshake's user), shown once the server answered. */
class UserLine extends Widget {
  constructor(model: LifecycleModel) {
    super();
    this.addClass('jp-lifecycle-user');
    this.addClass('jp-lifecycle-muted');
    this._model = model;
    model.listChanged.connect(this._render, this);
    this.hide();
  }

  private _render(): void {
    const user = this._model.server?.user;
    if (!user) {
      this.hide();
      return;
    }
    this.node.textContent = `Acting as ${user}`;
    this.node.title = 'Approvals, requests and other actions from this sidebar and the workspace are recorded as this user';
    this.show();
  }

  dispose(): void {
    this._model.listChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _model: LifecycleModel;
}

export class LifecyclePanel extends Panel {
  constructor(model: LifecycleModel) {
    super();
    this.model = model;
    this.id = 'jp-lifecycle-panel';
    this.addClass('jp-lifecycle-panel');

    const toolbar = new Toolbar();
    const search = h('input', 'jp-mod-styled jp-lifecycle-search');
    search.type = 'search';
    search.placeholder = 'Search name or tag';
    search.setAttribute('aria-label', 'Search assets by name or tag');
    search.addEventListener('input', () => model.setQuery(search.value));
    const searchWidget = new Widget({ node: search });
    searchWidget.addClass('jp-lifecycle-search-item');
    toolbar.addItem('search', searchWidget);
    toolbar.addItem(
      'workspace',
      new ToolbarButton({
        label: 'Workspace',
        className: 'jp-lifecycle-open-workspace',
        tooltip: 'Open the Lifecycle workspace in the main area',
        onClick: () => this.onOpenWorkspace(model.selected ?? undefined)
      })
    );
    toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh the registry view',
        onClick: () => void model.refresh()
      })
    );
    this.addWidget(toolbar);
    this.addWidget(new UserLine(model));
    this.addWidget(new StatusLine(model));
    const body = new Panel();
    body.addClass('jp-lifecycle-body');
    const list = new AssetList(model);
    list.onOpenVersion = ref => this.onOpenWorkspace(ref);
    body.addWidget(list);
    const summary = new VersionSummary(model);
    summary.onOpenWorkspace = ref => this.onOpenWorkspace(ref);
    body.addWidget(summary);
    this.addWidget(body);
    // any key or click in the page (e.g. running a cell that saves a version) polls again soon
    document.addEventListener('keydown', this._onActivity, true);
    document.addEventListener('pointerdown', this._onActivity, true);
  }

  readonly model: LifecycleModel;

  /** Opens the workspace (on a version when given); set by the plugin. */
  onOpenWorkspace: (ref?: string) => void = () => undefined;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    document.removeEventListener('keydown', this._onActivity, true);
    document.removeEventListener('pointerdown', this._onActivity, true);
    this.model.dispose();
    super.dispose();
  }

  // poll only while the panel is visible; showing it checks for changes at once
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setActive(this.isVisible);
  }
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setActive(true);
  }
  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setActive(false);
  }
  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
    super.onBeforeDetach(msg);
  }

  private _onActivity = (): void => {
    if (this.isVisible) {
      this.model.nudge();
    }
  };
}
