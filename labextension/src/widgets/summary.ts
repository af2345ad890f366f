/**
 * The sidebar's compact summary of the version last opened from the list: its ref, stage, author, date and
 * key metrics, and "Open in workspace". The whole version page (record, lineage graph, gates, actions, audit
 * timeline, diff) lives in the main-area workspace only; the sidebar stays a compact list.
 */
import { Widget } from '@lumino/widgets';

import { LifecycleModel } from '../model';
import { badge, button, clear, h } from './dom';

export class VersionSummary extends Widget {
  constructor(model: LifecycleModel) {
    super();
    this.model = model;
    this.addClass('jp-lifecycle-summary');
    model.listChanged.connect(this.render, this);
    this.render();
  }

  readonly model: LifecycleModel;

  /** Opens a version in the main-area workspace; set by the panel. */
  onOpenWorkspace: (ref: string) => void = () => undefined;

  render(): void {
    const root = this.node;
    clear(root);
    const ref = this.model.selected;
    if (!ref) {
      this.hide();
      return;
    }
    this.show();
    root.dataset.ref = ref;
    const row = this.model.selectedRow();
    const title = h('div', 'jp-lifecycle-detail-title', undefined, h('h2', undefined, ref));
    for (const s of (row?.stage ?? '').split(',').filter(Boolean)) {
      title.appendChild(badge(s) as HTMLElement);
    }
    if (row?.retired) {
      title.appendChild(badge('retired', 'jp-lifecycle-badge-retired') as HTMLElement);
    }
    root.appendChild(title);
    if (row) {
      root.appendChild(h('div', 'jp-lifecycle-muted', `${row.author} \u00b7 ${row.created_at.slice(0, 16).replace('T', ' ')}`));
      const metrics = Object.entries(row.metrics ?? {}).slice(0, 3);
      if (metrics.length) {
        root.appendChild(
          h(
            'div',
            'jp-lifecycle-summary-metrics',
            metrics.map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`).join(' \u00b7 ')
          )
        );
      }
    }
    root.appendChild(
      h(
        'div',
        'jp-lifecycle-row',
        undefined,
        button('Open in workspace', 'jp-mod-accept jp-lifecycle-open-in-workspace', () => this.onOpenWorkspace(ref)),
        button('Close', 'jp-mod-reject jp-lifecycle-close', () => this.model.highlight(null))
      )
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.listChanged.disconnect(this.render, this);
    super.dispose();
  }
}
