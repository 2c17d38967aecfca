// The admin area's tabs, shared by its views.
import { t } from '../i18n.js';
import { h, tabs } from '../ui.js';

export function adminHeader(current, heading) {
  return [
    h('h1', { tabindex: -1 }, heading),
    tabs(t('admin.sections'), [
      ['#/admin', t('admin.users')],
      ['#/admin/boards', t('admin.boards')],
      ['#/admin/content', t('admin.content')],
      ['#/admin/ai', t('admin.ai')],
      ['#/admin/reports', t('reports.title')],
      ['#/admin/log', t('log.title')],
    ], current),
    h('p', { class: 'muted' }, t('admin.dashboardHint'), ' ', h('a', { href: '/_/', target: '_blank', rel: 'noopener' }, t('admin.dashboard'))),
  ];
}

/**
 * Notes which <details data-KEY="id"> in container are open, before a live
 * reload redraws them. Read from the DOM, where a click takes effect at once
 * (the toggle event comes later and may miss a redraw).
 */
export function rememberOpen(container, key, openIds) {
  for (const el of container.querySelectorAll(`details[data-${key}]`)) {
    if (el.open) openIds.add(el.dataset[key]);
    else openIds.delete(el.dataset[key]);
  }
}
