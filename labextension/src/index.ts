import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { LabIcon } from '@jupyterlab/ui-components';

import { LifecycleModel } from './model';
import { LifecyclePanel } from './widgets/panel';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
<g class="jp-icon3" fill="#616161"><path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2Zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2ZM5 9.1l6 3v7.6l-6-3V9.1Zm8 10.6v-7.6l6-3v7.6l-6 3Z"/></g>
</svg>`;

export const lifecycleIcon = new LabIcon({ name: 'lifecycle-ext:icon', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lifecycle-ext:sidebar',
  description: 'A left-sidebar panel to browse AI assets and act on promotions.',
  autoStart: true,
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null) => {
    const model = new LifecycleModel();
    const panel = new LifecyclePanel(model);
    panel.title.icon = lifecycleIcon;
    panel.title.caption = 'Lifecycle';
    app.shell.add(panel, 'left', { rank: 900 });
    if (restorer) {
      restorer.add(panel, 'lifecycle-ext');
    }
    void model.connect();
  }
};

export default plugin;
