// The event log, read once per tick and handed to every reader (event list, chart marks,
// autoscaler decisions, lesson pauses): one cursor, one dispatcher. Entries are the core's
// data ({seq, t_s, instance, group, kind, …}); `logText` words them from the catalog.
import { t, fmt } from './i18n.js';
import { stepsText } from './hpa-steps.js';

export class LogFeed {
  constructor() {
    this.readers = new Set();
    this.next = 0;
  }

  /** `fn(entries)` with new entries; `fn(null)` when the log starts over (new run, rewind). */
  subscribe(fn) {
    this.readers.add(fn);
    return () => this.readers.delete(fn);
  }

  reset() {
    this.next = 0;
    for (const fn of this.readers) fn(null);
  }

  poll(sim) {
    const entries = sim.log_since(this.next);
    if (!entries.length) return;
    this.next = entries[entries.length - 1].seq + 1;
    for (const fn of this.readers) fn(entries);
  }
}

const scaler = (by) => t(`log.by.${by}`);

/** One entry as a sentence (without its time and instance). */
export function logText(e) {
  switch (e.kind) {
    case 'heartbeat_missed':
      return t(e.partitioned ? 'log.heartbeat_missed.partitioned' : 'log.heartbeat_missed.silent');
    case 'evicted':
      return t('log.evicted', { ttl: fmt.s(e.ttl_s), last: fmt.s(e.last_renewal_s) });
    case 'crashed':
      return t.plural('log.crashed', e.lost, { lost: fmt.int(e.lost) });
    case 'slowed':
      return t('log.slowed', { pct: fmt.pct(e.factor) });
    case 'fault_ignored':
      return t(e.missing ? 'log.fault_ignored.missing' : 'log.fault_ignored.stopped', { fault: t(`fault.${e.fault}`) });
    case 'ejected':
      return t('log.ejected', { failures: fmt.int(e.failures), duration: fmt.s(e.duration_s) });
    case 'health_checks_passed':
    case 'health_checks_failed':
      return t(`log.${e.kind}`, { checks: fmt.int(e.checks) });
    case 'scaled':
      return t('log.scaled', { from: fmt.int(e.from), to: fmt.int(e.to), by: scaler(e.by) });
    case 'kept':
      return t('log.kept', { replicas: fmt.int(e.replicas), by: scaler(e.by) });
    case 'rate_changed':
      return t('log.rate_changed', { rate: fmt.rps(e.rate_rps) });
    case 'activator_timed_out':
      return t('log.activator_timed_out', { requests: fmt.int(e.requests), timeout: fmt.s(e.timeout_s) });
    case 'activator_released':
      return t('log.activator_released', { requests: fmt.int(e.requests), wait: fmt.s(e.longest_wait_s) });
    case 'rebalanced':
      return t('log.rebalanced', { in_view: fmt.int(e.in_view), moved: fmt.pct1(e.moved_fraction) });
    default:
      return t(`log.${e.kind}`);
  }
}

/** "#3" or "" for an entry's instance. */
export const who = (e) => (e.instance == null ? '' : t('fleet.instance_short', { id: e.instance }));

/** The entry with its instance and, for autoscaler decisions, the reasoning. */
export function logLine(e) {
  const head = [who(e), logText(e)].filter(Boolean).join(' ');
  return e.explanation ? `${head}: ${stepsText(e.explanation.steps)}` : head;
}

/** The fault a log entry records (chart marks), or null. */
export function faultOf(e) {
  return { crashed: 'crash', slowed: 'slow', partitioned: 'partition', restarting: 'recover', recovered: 'recover' }[e.kind] ?? null;
}

export const groupName = (g) => t(`log.group.${g}`);
