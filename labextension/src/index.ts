import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { LabIcon } from '@jupyterlab/ui-components';

import { LifecycleClient } from './api';
import { LifecycleModel } from './model';
import { API_VERSION } from './tokens';
import { LifecyclePanel } from './widgets/panel';
import { WorkspaceModel } from './workspace/model';
import { LifecycleWorkspace } from './workspace/widget';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">
<g class="jp-icon3" fill="#616161"><path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2Zm0 2.2 6.6 3.3L12 10.8 5.4 7.5 12 4.2ZM5 9.1l6 3v7.6l-6-3V9.1Zm8 10.6v-7.6l6-3v7.6l-6 3Z"/></g>
</svg>`;

export const lifecycleIcon = new LabIcon({ name: 'lifecycle-ext:icon', svgstr: ICON_SVG });

/** The command palette / launcher command that opens the workspace (optionally on a version: `{ref}`). */
export const OPEN_WORKSPACE = 'lifecycle:open-workspace';

/** How often the background watcher checks the registry's head for notifications (ms). */
const WATCH_MS = 5000;

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lifecycle-ext:sidebar',
  description: 'A left-sidebar panel to browse AI assets and act on promotions, and the Lifecycle workspace.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ) => {
    const client = new LifecycleClient();
    const model = new LifecycleModel(client);
    const panel = new LifecyclePanel(model);
    panel.title.icon = lifecycleIcon;
    panel.title.caption = 'Lifecycle';
    app.shell.add(panel, 'left', { rank: 900 });
    if (restorer) {
      restorer.add(panel, 'lifecycle-ext');
    }
    void model.connect();

    // -- the workspace in the main area, sharing the client and the model class with the sidebar ---------
    const ws = new WorkspaceModel(client);
    let main: MainAreaWidget<LifecycleWorkspace> | null = null;
    let versionModel: LifecycleModel | null = null;

    const open = async (ref?: string): Promise<LifecycleWorkspace> => {
      if (main === null || main.isDisposed) {
        versionModel = new LifecycleModel(client, { lists: false });
        const content = new LifecycleWorkspace(ws, versionModel);
        main = new MainAreaWidget({ content });
        main.id = 'jp-lifecycle-workspace-main';
        main.title.label = 'Lifecycle';
        main.title.icon = lifecycleIcon;
        main.title.closable = true;
        app.shell.add(main, 'main');
        void ws.load();
        void ws.loadInbox();
        await versionModel.connect();
      }
      app.shell.activateById(main.id);
      if (ref) {
        await main.content.openVersion(ref);
      }
      return main.content;
    };

    app.commands.addCommand(OPEN_WORKSPACE, {
      label: args => (args?.isLauncher ? 'Lifecycle' : 'Open the Lifecycle workspace'),
      caption: 'The registry in the main area: assets, search, review inbox, version pages',
      icon: lifecycleIcon,
      execute: args => open(typeof args?.ref === 'string' ? args.ref : undefined)
    });
    if (palette) {
      palette.addItem({ command: OPEN_WORKSPACE, category: 'Lifecycle' });
    }
    if (launcher) {
      launcher.add({ command: OPEN_WORKSPACE, category: 'Other', rank: 1 });
    }
    panel.onOpenWorkspace = (ref?: string) => void app.commands.execute(OPEN_WORKSPACE, ref ? { ref } : {});

    // -- notifications: a request the user may approve appeared; a request of theirs was decided ---------
    ws.notified.connect((_, notice) => {
      Notification.emit(notice.text, notice.level, {
        // a request awaiting the user's approval stays until dismissed; outcomes close by themselves
        autoClose: notice.kind === 'request' ? false : 8000,
        actions: [
          {
            label: 'Open',
            caption: `Open ${notice.ref} in the Lifecycle workspace`,
            callback: () => void app.commands.execute(OPEN_WORKSPACE, { ref: notice.ref })
          }
        ]
      });
    });
    void watch(client, ws, () => main !== null && !main.isDisposed);
  }
};

/** Poll the registry head; when it moves, refresh the inbox (notifying new requests), notify decisions on
 * the user's requests, and merge the assets that changed into an open workspace. */
async function watch(client: LifecycleClient, ws: WorkspaceModel, workspaceOpen: () => boolean): Promise<void> {
  let seq: number | null = null;
  try {
    const server = await client.version();
    if (server.api !== API_VERSION) {
      return; // the sidebar says why
    }
    ws.user = server.user;
    seq = (await client.head('notifications')).seq;
    await ws.rememberMyRequests();
    await ws.loadInbox();
  } catch {
    return;
  }
  const tick = async (): Promise<void> => {
    try {
      const head = await client.head('notifications');
      if (seq !== null && head.seq !== seq) {
        const before = seq;
        seq = head.seq;
        await ws.loadInbox();
        await ws.watchEvents(before);
        if (workspaceOpen()) {
          await ws.loadChanged(before);
        }
      }
    } catch {
      // the server went away for a moment: try again next tick
    }
    setTimeout(() => void tick(), WATCH_MS);
  };
  setTimeout(() => void tick(), WATCH_MS);
}

export default plugin;
