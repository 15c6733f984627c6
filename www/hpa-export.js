// "Export as Kubernetes HPA YAML": the core's hpa_yaml() (an autoscaling/v2
// HorizontalPodAutoscaler for the current HPA settings) shown in a read-only textarea, with Copy
// and Download (a same-origin Blob URL). Disabled, with a hint, unless the autoscaler is the HPA.
import { hpa_yaml } from './pkg/fleetlab.js';

const $ = (id) => document.getElementById(id);
// The target is a Deployment: its name is a DNS subdomain; we accept the common DNS-label form.
const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class HpaExport {
  /** @param {() => object} getConfig  the simulation's current autoscaler config */
  constructor(getConfig) {
    this.getConfig = getConfig;
    this.btn = $('as-export');
    this.hint = $('as-export-hint');
    this.box = $('as-yaml-box');
    this.text = $('as-yaml');
    this.name = $('as-yaml-name');
    this.err = $('err-as-yaml-name');
    this.status = $('as-yaml-status');
    this.url = '';
    this.btn.addEventListener('click', () => {
      this.box.hidden = !this.box.hidden;
      this.btn.setAttribute('aria-expanded', String(!this.box.hidden));
      this.refresh();
    });
    this.name.addEventListener('input', () => this.refresh());
    $('as-yaml-copy').addEventListener('click', () => this.copy());
    $('as-yaml-download').addEventListener('click', () => this.download());
  }

  /** The Deployment name (valid) or null, with the field's alert set. */
  validName() {
    const v = this.name.value.trim();
    if (NAME_RE.test(v)) {
      this.name.removeAttribute('aria-invalid');
      this.err.textContent = '';
      return v;
    }
    this.name.setAttribute('aria-invalid', 'true');
    this.err.textContent = `metadata.name: must be a DNS label (lowercase letters, digits and “-”, 1–63 characters, starting and ending with a letter or digit), got "${v.slice(0, 70)}". Keeping the last good manifest.`;
    return null;
  }

  /** Called whenever the autoscaler settings change. */
  refresh() {
    const cfg = this.getConfig();
    const isHpa = cfg?.kind === 'hpa';
    this.btn.disabled = !isHpa;
    this.hint.hidden = isHpa;
    if (!isHpa) {
      this.box.hidden = true;
      this.btn.setAttribute('aria-expanded', 'false');
      return;
    }
    if (this.box.hidden) return;
    const name = this.validName();
    if (name == null) return;
    const yaml = hpa_yaml(cfg, name);
    if (this.text.value !== yaml) this.text.value = yaml;
  }

  async copy() {
    const text = this.text.value;
    try {
      await navigator.clipboard.writeText(text);
      this.status.textContent = 'Copied to the clipboard.';
    } catch {
      this.text.focus();
      this.text.select();
      this.status.textContent = 'The clipboard is not available here: the text is selected, press Ctrl+C (⌘C) to copy it.';
    }
  }

  download() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = URL.createObjectURL(new Blob([this.text.value], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = this.url;
    a.download = `${this.name.value.trim() || 'hpa'}-hpa.yaml`;
    document.body.append(a);
    a.click();
    a.remove();
    this.status.textContent = `Saved as ${a.download}.`;
  }
}
