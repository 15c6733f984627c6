// "Export as Kubernetes HPA YAML": the core's hpa_yaml() (an autoscaling/v2
// HorizontalPodAutoscaler for the HPA settings in force), shown read-only with Copy and
// Download. The core writes English comments; the page replaces every comment line with its
// own, in the page's language, from the same settings (the sync period is a controller flag,
// a non-default tolerance needs a feature gate). The YAML itself is Kubernetes' and stays as is.
import { h, text } from './dom.js';
import { t, fmt } from './i18n.js';
import { fleetlab } from './core.js';
import { errorText } from './errors.js';
import { download } from './exports.js';

/** The manifest with its comments in the page's language. */
export function localizeYaml(yaml, autoscaler) {
  const out = [
    `# ${t('yaml.header')}`,
    `# ${t('yaml.sync', { s: fmt.num(autoscaler.sync_s) })}`,
  ];
  for (const line of yaml.split('\n')) {
    if (line.trim().startsWith('#')) continue;
    const indent = line.match(/^\s*/)[0];
    if (line.trim().startsWith('tolerance:')) out.push(`${indent}# ${t('yaml.tolerance_gate')}`);
    out.push(line);
  }
  return out.join('\n');
}

export class HpaExport {
  /** @param {() => object} getAutoscaler  the autoscaler settings in force */
  constructor(getAutoscaler) {
    this.get = getAutoscaler;
    this.name = h('input', { id: 'yaml-name', type: 'text', autocomplete: 'off', spellcheck: false, value: 'web', 'aria-describedby': 'yaml-name-err', oninput: () => this.refresh() });
    this.err = h('p', { class: 'err', id: 'yaml-name-err', role: 'alert' });
    this.area = h('textarea', { id: 'yaml-text', readOnly: true, rows: 14, spellcheck: false });
    this.status = h('span', { class: 'help', role: 'status' });
    this.box = h('div', { class: 'yaml-box', hidden: true },
      h('label', { for: 'yaml-name' }, t('yaml.name')), this.name, this.err,
      h('label', { for: 'yaml-text' }, t('yaml.manifest')), this.area,
      h('div', { class: 'row' },
        h('button', { type: 'button', onclick: () => this.copy() }, t('yaml.copy')),
        h('button', { type: 'button', onclick: () => this.save() }, t('yaml.download')), this.status));
    this.btn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'yaml-box', onclick: () => this.toggle() }, t('yaml.open'));
    this.box.id = 'yaml-box';
    this.el = h('div', { class: 'hpa-export' }, h('h3', null, t('yaml.title')), this.btn, this.box);
  }

  toggle() {
    this.box.hidden = !this.box.hidden;
    this.btn.setAttribute('aria-expanded', String(!this.box.hidden));
    this.refresh();
  }

  refresh() {
    if (this.box.hidden) return;
    const a = this.get();
    try {
      this.area.value = localizeYaml(fleetlab.hpa_yaml(a, this.name.value.trim()), a);
      this.name.removeAttribute('aria-invalid');
      text(this.err, '');
    } catch (e) {
      this.name.setAttribute('aria-invalid', 'true');
      text(this.err, errorText(e, { typed: this.name.value }));
    }
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.area.value);
      text(this.status, t('yaml.copied'));
    } catch {
      this.area.select();
      text(this.status, t('yaml.copy_failed'));
    }
  }

  save() {
    download(new Blob([this.area.value], { type: 'application/yaml' }), `${this.name.value.trim() || 'hpa'}-hpa.yaml`);
  }
}
