/** The "Lifecycle" left-sidebar panel: toolbar (search, refresh), status line, asset list, detail. */
import { Toolbar, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';

import { IMessage, LifecycleModel } from '../model';
import { AssetList } from './assetList';
import { VersionDetail } from './detail';
import { clear, h } from './dom';
import { gateChecks } from './promotion';

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
    this.node.appendChild(h('span', undefined, msg.text));
    if (msg.report) {
      this.node.appendChild(gateChecks(msg.report));
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
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh the registry view',
        onClick: () => void model.refresh()
      })
    );
    this.addWidget(toolbar);
    this.addWidget(new StatusLine(model));
    const body = new Panel();
    body.addClass('jp-lifecycle-body');
    body.addWidget(new AssetList(model));
    body.addWidget(new VersionDetail(model));
    this.addWidget(body);
  }

  readonly model: LifecycleModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }
}
