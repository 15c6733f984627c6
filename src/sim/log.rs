//! The event log: what happened to the fleet, as data. Each entry carries its numbers (not a
//! sentence), so the page can word it in any language and filter it by group; `Display` gives
//! the English sentence for tests and tools. The log keeps the most recent `LOG_CAPACITY`
//! entries, numbered from the start, so a reader asks for "everything since seq n".

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use crate::autoscale::hpa::Explanation;
use crate::scenario::FaultKind;

/// Entries kept (older ones are forgotten; `total` still counts them).
pub const LOG_CAPACITY: usize = 1000;

/// Which panel an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogGroup {
    Registry,
    Fault,
    Health,
    Scaling,
    Traffic,
}

/// Who changed the replica count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaler {
    /// A person (the page's N control, or an edit replayed from the scenario).
    Hand,
    Formula,
    Hpa,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEvent {
    /// Became ready and registered with the registry.
    Registered,
    /// A heartbeat from an evicted (but alive) instance registered it again.
    Reregistered,
    /// A heartbeat did not arrive: the instance is suspect.
    HeartbeatMissed {
        partitioned: bool,
    },
    /// Heartbeats arrive again.
    HeartbeatResumed,
    /// The lease expired and the registry evicted the instance.
    Evicted {
        ttl_s: f64,
        last_renewal_s: f64,
    },
    /// The lease expired but self-preservation keeps the instance registered.
    Preserved,
    /// Deregistered; finishing its queue.
    Draining,
    Stopped,
    Crashed {
        lost: u64,
    },
    Slowed {
        factor: f64,
    },
    Partitioned,
    /// A crashed instance restarts.
    Restarting,
    /// A slow or partitioned instance is back to normal.
    Recovered,
    /// A fault named an instance that does not exist (`missing`) or has stopped.
    FaultIgnored {
        fault: FaultKind,
        missing: bool,
    },
    /// Outlier detection ejected the instance from the balancer's set.
    Ejected {
        failures: u32,
        duration_s: f64,
    },
    Unejected,
    HealthChecksPassed {
        checks: u32,
    },
    HealthChecksFailed {
        checks: u32,
    },
    /// The replica count changed; an autoscaler explains its decision step by step.
    Scaled {
        from: u32,
        to: u32,
        by: Scaler,
        explanation: Option<Explanation>,
        /// The explanation in English (the summary's `scale_events[].reason`).
        reason: String,
    },
    /// An autoscaler sync that kept the count.
    Kept {
        replicas: u32,
        by: Scaler,
        explanation: Explanation,
        reason: String,
    },
    /// The arrival rate changed (a scheduled change).
    RateChanged {
        rate_rps: f64,
    },
    /// The set of instances in the balancer's view changed; for hash balancers, the share of
    /// keys that moved to another instance.
    Rebalanced {
        in_view: u32,
        moved_fraction: f64,
    },
}

impl LogEvent {
    pub fn group(&self) -> LogGroup {
        use LogEvent::*;
        match self {
            Registered
            | Reregistered
            | HeartbeatMissed { .. }
            | HeartbeatResumed
            | Evicted { .. }
            | Preserved
            | Draining
            | Stopped => LogGroup::Registry,
            Crashed { .. }
            | Slowed { .. }
            | Partitioned
            | Restarting
            | Recovered
            | FaultIgnored { .. } => LogGroup::Fault,
            Ejected { .. } | Unejected | HealthChecksPassed { .. } | HealthChecksFailed { .. } => {
                LogGroup::Health
            }
            Scaled { .. } | Kept { .. } => LogGroup::Scaling,
            RateChanged { .. } | Rebalanced { .. } => LogGroup::Traffic,
        }
    }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LogEvent::*;
        match self {
            Registered => write!(f, "ready and registered"),
            Reregistered => write!(f, "heartbeat from an evicted instance: registered again"),
            HeartbeatMissed { partitioned } => {
                let why = if *partitioned {
                    "partitioned from the registry"
                } else {
                    "not responding"
                };
                write!(f, "missed heartbeat ({why}): suspect")
            }
            HeartbeatResumed => write!(f, "heartbeat arrived again: up"),
            Evicted { ttl_s, .. } => {
                write!(f, "lease expired (no heartbeat for {ttl_s} s): evicted")
            }
            Preserved => write!(f, "lease expired but self-preservation is on: kept"),
            Draining => write!(f, "deregistered; finishing its queue"),
            Stopped => write!(f, "stopped"),
            Crashed { lost } => write!(f, "crashed: {lost} requests in it failed"),
            Slowed { factor } => write!(f, "slowed to {:.0}% of its capacity", factor * 100.0),
            Partitioned => write!(f, "partitioned: heartbeats lost, still serving"),
            Restarting => write!(f, "restarting"),
            Recovered => write!(f, "recovered"),
            FaultIgnored { fault, missing } => {
                let fault = format!("{fault:?}").to_lowercase();
                if *missing {
                    write!(f, "{fault} ignored: there is no such instance")
                } else {
                    write!(f, "{fault} ignored: the instance has stopped")
                }
            }
            Ejected {
                failures,
                duration_s,
            } => write!(
                f,
                "{failures} consecutive failures: ejected for {duration_s} s"
            ),
            Unejected => write!(f, "ejection time over: back in the balancer's set"),
            HealthChecksPassed { checks } => write!(f, "{checks} health checks passed: healthy"),
            HealthChecksFailed { checks } => write!(f, "{checks} health checks failed: unhealthy"),
            Scaled {
                from, to, reason, ..
            } => write!(f, "{from} → {to} instances: {reason}"),
            Kept {
                replicas, reason, ..
            } => write!(f, "keep {replicas}: {reason}"),
            RateChanged { rate_rps } => write!(f, "load changes to {rate_rps} req/s"),
            Rebalanced {
                in_view,
                moved_fraction,
            } => write!(
                f,
                "{in_view} instances in view: {:.1}% of keys moved to another instance",
                moved_fraction * 100.0
            ),
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub t_s: f64,
    pub instance: Option<u32>,
    pub group: LogGroup,
    #[serde(flatten)]
    pub event: LogEvent,
}

/// The most recent entries, in order.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
    total: u64,
}

impl EventLog {
    pub fn push(&mut self, t_s: f64, instance: Option<u32>, event: LogEvent) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            seq: self.total,
            t_s,
            instance,
            group: event.group(),
            event,
        });
        self.total += 1;
    }

    /// Entries numbered `since` or later that are still kept.
    pub fn since(&self, since: u64) -> Vec<LogEntry> {
        let first = self.entries.front().map_or(self.total, |e| e.seq);
        let skip = since.saturating_sub(first) as usize;
        self.entries.iter().skip(skip).cloned().collect()
    }

    /// Entries ever pushed, including forgotten ones.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_entries_and_their_numbers() {
        let mut log = EventLog::default();
        for i in 0..(LOG_CAPACITY as u64 + 5) {
            log.push(i as f64, None, LogEvent::Stopped);
        }
        assert_eq!(log.total(), LOG_CAPACITY as u64 + 5);
        assert_eq!(log.since(0).len(), LOG_CAPACITY);
        assert_eq!(log.since(0)[0].seq, 5);
        let tail = log.since(LOG_CAPACITY as u64 + 3);
        assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), [1003, 1004]);
        assert!(log.since(u64::MAX).is_empty());
    }

    #[test]
    fn serializes_with_group_and_kind() {
        let mut log = EventLog::default();
        log.push(
            1.5,
            Some(2),
            LogEvent::Scaled {
                from: 3,
                to: 5,
                by: Scaler::Hand,
                explanation: None,
                reason: "set by hand".into(),
            },
        );
        let v = serde_json::to_value(&log.since(0)[0]).unwrap();
        assert_eq!(v["kind"], "scaled");
        assert_eq!(v["group"], "scaling");
        assert_eq!(v["from"], 3);
        assert_eq!(v["by"], "hand");
        assert_eq!(v["instance"], 2);
    }
}
