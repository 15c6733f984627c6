// The event log's entries are data (kind, numbers); this words them in English. (The
// translated page words them from its message catalogs.)
const FAULT_NAME = { crash: 'crash', slow: 'slow', partition: 'partition', recover: 'recover' };

export function logText(e) {
  switch (e.kind) {
    case 'registered': return 'ready and registered';
    case 'reregistered': return 'heartbeat from an evicted instance: registered again';
    case 'heartbeat_missed': return `missed heartbeat (${e.partitioned ? 'partitioned from the registry' : 'not responding'}): suspect`;
    case 'heartbeat_resumed': return 'heartbeat arrived again: up';
    case 'evicted': return `lease expired (no heartbeat for ${e.ttl_s} s): evicted`;
    case 'preserved': return 'lease expired but self-preservation is on: kept';
    case 'draining': return 'deregistered; finishing its queue';
    case 'stopped': return 'stopped';
    case 'crashed': return `crashed: ${e.lost} requests in it failed`;
    case 'slowed': return `slowed to ${Math.round(e.factor * 100)}% of its capacity`;
    case 'partitioned': return 'partitioned: heartbeats lost, still serving';
    case 'restarting': return 'restarting';
    case 'recovered': return 'recovered';
    case 'fault_ignored': return `${FAULT_NAME[e.fault] ?? e.fault} ignored: ${e.missing ? 'there is no such instance' : 'the instance has stopped'}`;
    case 'ejected': return `${e.failures} consecutive failures: ejected for ${e.duration_s} s`;
    case 'unejected': return 'ejection time over: back in the balancer’s set';
    case 'health_checks_passed': return `${e.checks} health checks passed: healthy`;
    case 'health_checks_failed': return `${e.checks} health checks failed: unhealthy`;
    case 'scaled': return `${e.from} → ${e.to} instances: ${e.reason}`;
    case 'kept': return `keep ${e.replicas}: ${e.reason}`;
    case 'rate_changed': return `load changes to ${e.rate_rps} req/s`;
    case 'rebalanced': return `${e.in_view} instances in view: ${(e.moved_fraction * 100).toFixed(1)}% of keys moved to another instance`;
    default: return e.kind;
  }
}

/** The fault a log entry records (for the chart markers), or undefined. */
export const FAULT_OF = { crashed: 'crash', slowed: 'slow', partitioned: 'partition', restarting: 'recover', recovered: 'recover' };
