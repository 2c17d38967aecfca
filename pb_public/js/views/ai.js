// AI: the models I can use (visible and ready) and my jobs, updated live.
import { pb, me, collectionAvailable } from '../pb.js';
import { t } from '../i18n.js';
import { h, notAvailable, time, debounce, append } from '../ui.js';
import { jobStatus, resultView } from './ai-model.js';

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('ai.title'));
  append(root, h('h1', { tabindex: -1 }, t('ai.title')));
  if (!(await collectionAvailable('ais')) || !(await collectionAvailable('ai_logs'))) {
    append(root, notAvailable(t('ai.feature')));
    return;
  }
  const models = await pb.collection('ais').getFullList({ filter: 'status = "ready" && is_visible = true', sort: 'name' });
  append(root, h('section', { 'aria-labelledby': 'models-h' },
    h('h2', { id: 'models-h' }, t('ai.models')),
    models.length
      ? h('ul', { class: 'board-list' }, models.map((m) => h('li', { class: 'card' },
        h('h3', {}, h('a', { href: `#/ai/${m.id}` }, m.name)),
        h('p', { class: 'meta' }, h('span', { class: 'badge' }, t(`kind.${m.kind}`))),
        m.description ? h('p', {}, m.description) : null)))
      : h('p', { class: 'muted' }, t('ai.noModels'))));

  const jobs = h('tbody');
  append(root, h('section', { class: 'card', 'aria-labelledby': 'jobs-h' },
    h('h2', { id: 'jobs-h' }, t('ai.myJobs')),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, t('ai.model')), h('th', {}, t('ai.description')), h('th', {}, t('ai.status')), h('th', {}, t('ai.result')), h('th', {}, t('ai.created')))),
      jobs))));

  async function load() {
    const res = await pb.collection('ai_logs').getList(1, 30, {
      filter: pb.filter('user = {:me}', { me: me().id }), sort: '-created', expand: 'ai',
    });
    if (signal.aborted) return;
    jobs.replaceChildren(...res.items.map((job) => h('tr', { dataset: { job: job.id } },
      h('td', {}, job.expand?.ai ? h('a', { href: `#/ai/${job.ai}` }, job.expand.ai.name) : job.ai),
      h('td', {}, job.description || ''),
      h('td', {}, jobStatus(job)),
      h('td', {}, resultView(job, true)),
      h('td', {}, time(job.created)))));
    if (!res.items.length) jobs.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('ai.noJobs'))));
  }
  await load();
  const reload = debounce(() => load().catch(() => {}), 300);
  pb.collection('ai_logs').subscribe('*', reload, { filter: pb.filter('user = {:me}', { me: me().id }) })
    .then((unsub) => onCleanup(unsub), () => {});
}
