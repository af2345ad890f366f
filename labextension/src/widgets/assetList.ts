/** Assets grouped by kind, each expandable to its versions with stage badges; a version opens in the workspace. */
import { Widget } from '@lumino/widgets';

import { LifecycleModel } from '../model';
import { badge, clear, h } from './dom';

export class AssetList extends Widget {
  constructor(model: LifecycleModel) {
    super();
    this.model = model;
    this.addClass('jp-lifecycle-assets');
    model.listChanged.connect(this.render, this);
    this.render();
  }

  readonly model: LifecycleModel;

  /** Opens a version's page in the main-area workspace; set by the panel. */
  onOpenVersion: (ref: string) => void = () => undefined;

  render(): void {
    const root = this.node;
    clear(root);
    const failed = this.model.connectError;
    if (!this.model.connected && failed !== null) {
      // no list at all rather than an empty one: say why (e.g. the server speaks another API version)
      const p = h('p', 'jp-lifecycle-connect-error', failed);
      p.setAttribute('role', 'alert');
      root.appendChild(p);
      return;
    }
    if (!this.model.connected) {
      root.appendChild(h('p', 'jp-lifecycle-muted', 'Connecting to the lifecycle server\u2026'));
      return;
    }
    const groups = this.model.groups();
    if (!groups.size) {
      root.appendChild(
        h(
          'p',
          'jp-lifecycle-muted',
          this.model.query ? 'No asset matches the search.' : 'No assets in the registry yet.'
        )
      );
      return;
    }
    const selected = this.model.selected;
    for (const [kind, assets] of groups) {
      const group = h('div', 'jp-lifecycle-kind');
      group.dataset.kind = kind;
      group.appendChild(h('h2', undefined, kind));
      for (const a of assets) {
        const open = this.model.isExpanded(a.asset);
        const row = h('div', 'jp-lifecycle-asset');
        row.dataset.asset = a.asset;
        const head = h(
          'button',
          'jp-lifecycle-asset-head',
          undefined,
          h('span', 'jp-lifecycle-caret', open ? '\u25be' : '\u25b8'),
          h('span', 'jp-lifecycle-name', a.name),
          h('span', 'jp-lifecycle-muted', ` v${a.latest}`)
        );
        head.type = 'button';
        head.title = a.asset;
        for (const stage of Object.keys(a.stages)) {
          const b = badge(`${stage} v${a.stages[stage]}`);
          if (b) {
            b.dataset.stage = stage;
            head.appendChild(b);
          }
        }
        head.addEventListener('click', () => void this.model.toggle(a.asset));
        row.appendChild(head);
        const versions = open ? this.model.versionsOf(a.asset) : null;
        if (versions) {
          const ul = h('ul', 'jp-lifecycle-versions');
          for (const v of [...versions].reverse()) {
            const li = h('li', 'jp-lifecycle-version');
            li.dataset.ref = v.ref;
            if (v.ref === selected) {
              li.classList.add('jp-mod-selected');
            }
            li.tabIndex = 0;
            li.appendChild(h('span', 'jp-lifecycle-vnum', `v${v.version}`));
            li.appendChild(h('span', 'jp-lifecycle-muted', ` ${v.author} \u00b7 ${v.created_at.slice(0, 16).replace('T', ' ')}`));
            for (const s of (v.stage ?? '').split(',').filter(Boolean)) {
              li.appendChild(badge(s) as HTMLElement);
            }
            if (v.retired) {
              li.appendChild(badge('retired', 'jp-lifecycle-badge-retired') as HTMLElement);
            }
            li.title = `Open ${v.ref} in the Lifecycle workspace`;
            const open = () => {
              this.model.highlight(v.ref);
              this.onOpenVersion(v.ref);
            };
            li.addEventListener('click', open);
            li.addEventListener('keydown', e => {
              if (e.key === 'Enter') {
                open();
              }
            });
            ul.appendChild(li);
          }
          row.appendChild(ul);
        }
        group.appendChild(row);
      }
      root.appendChild(group);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.listChanged.disconnect(this.render, this);
    super.dispose();
  }
}
