/** The promotion view: target stage, gate checks with evidence, and the actions the user may take. */
import { ACTIONS, ActionName, IGateReport } from '../tokens';
import { LifecycleModel, label } from '../model';
import { askReason } from './reasonDialog';
import { badge, button, h, renderJson, section } from './dom';

export function gateChecks(report: IGateReport): HTMLElement {
  const ul = h('ul', 'jp-lifecycle-checks');
  for (const c of report.checks) {
    const li = h('li', `jp-lifecycle-check jp-lifecycle-check-${c.status}`);
    li.dataset.status = c.status;
    const mark = c.status === 'pass' ? '\u2714' : c.status === 'fail' ? '\u2718' : '\u2026';
    li.appendChild(h('span', 'jp-lifecycle-check-mark', mark));
    li.appendChild(h('span', 'jp-lifecycle-check-name', c.name));
    li.appendChild(h('span', 'jp-lifecycle-muted', ` ${c.status}`));
    if (c.message) {
      li.appendChild(h('div', 'jp-lifecycle-check-message', c.message));
    }
    if (c.evidence !== undefined && c.evidence !== null) {
      const details = h('details', undefined, undefined, h('summary', undefined, 'evidence'));
      details.appendChild(renderJson(c.evidence));
      li.appendChild(details);
    }
    ul.appendChild(li);
  }
  return ul;
}

export function promotionView(model: LifecycleModel): HTMLElement {
  const perms = model.permissions;
  const stages = perms?.stages ?? [];
  const picker = h('select', 'jp-mod-styled jp-lifecycle-target');
  picker.setAttribute('aria-label', 'Target stage');
  for (const s of stages) {
    const o = h('option', undefined, s);
    o.value = s;
    o.selected = s === model.target;
    picker.appendChild(o);
  }
  picker.disabled = !stages.length;
  picker.addEventListener('change', () => void model.setTarget(picker.value));

  const head = h(
    'div',
    'jp-lifecycle-row',
    undefined,
    h('span', undefined, 'Target stage '),
    stages.length ? picker : h('span', 'jp-lifecycle-muted', 'no further stage for this version')
  );
  const who = perms
    ? h('div', 'jp-lifecycle-muted', `Acting as ${perms.user} (roles: ${perms.roles.join(', ') || 'none'})`)
    : null;

  let gates: HTMLElement | null = null;
  if (model.gates) {
    const verdict = model.gates.passed ? 'All gates pass' : 'Gates do not all pass';
    gates = h(
      'div',
      'jp-lifecycle-gates',
      undefined,
      h('div', model.gates.passed ? 'jp-lifecycle-ok' : 'jp-lifecycle-bad', verdict),
      gateChecks(model.gates)
    );
    gates.dataset.passed = String(model.gates.passed);
  } else if (model.gatesError) {
    gates = h('div', 'jp-lifecycle-bad', model.gatesError);
  }

  const buttons = h('div', 'jp-lifecycle-actions');
  for (const action of ACTIONS) {
    buttons.appendChild(actionButton(model, action));
  }
  return section('Promotion', head, who, gates, buttons);
}

function actionButton(model: LifecycleModel, action: ActionName): HTMLElement {
  const perm = model.permission(action);
  const accept = action === 'reject' || action === 'retire' || action === 'rollback' ? 'jp-mod-warn' : 'jp-mod-accept';
  const b = button(label(action), accept, async () => {
    const rec = model.detail?.record;
    if (!rec) {
      return;
    }
    const what =
      action === 'rollback'
        ? `Roll back ${rec.asset} to its previous production version`
        : action === 'retire'
          ? `Retire ${rec.ref}`
          : `${label(action)} ${rec.ref} \u2192 ${model.target ?? '?'}`;
    const deploying = action === 'promote' && model.target === model.permissions?.deploy_stage;
    const input = await askReason(
      `${label(action)}`,
      what,
      label(action),
      deploying ? 'Known limitations (written into the deployment record)' : null
    );
    if (input !== null) {
      b.disabled = true;
      await model.act(action, input.reason, deploying ? input.extra : undefined);
      b.disabled = !perm.allowed;
    }
  });
  b.dataset.action = action;
  b.disabled = !perm.allowed;
  b.title = perm.allowed ? label(action) : `Not allowed: ${perm.reason}`;
  const wrap = h('div', 'jp-lifecycle-action', undefined, b);
  if (!perm.allowed) {
    wrap.appendChild(h('span', 'jp-lifecycle-why', perm.reason));
  }
  return wrap;
}

export { badge };
