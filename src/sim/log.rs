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
    /// Knative's Pod Autoscaler.
    Kpa,
    /// KEDA on waiting requests (with its HPA).
    Queue,
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
    /// Removed and deregistered, but still serving while its preStop hook runs.
    Terminating,
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
    /// nginx passive health: `fails` failures made the server unavailable for
    /// `fail_timeout_s` seconds (then one probe request is let through).
    MarkedDown {
        fails: u32,
        fail_timeout_s: u32,
    },
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
    /// Requests held by the activator reached its timeout: they fail (504).
    ActivatorTimedOut {
        requests: u64,
        timeout_s: f64,
    },
    /// An instance became ready: the requests the activator held go to the fleet.
    ActivatorReleased {
        requests: u64,
        longest_wait_s: f64,
    },
}

impl LogEvent {
    /// Every event's name (its serialized `kind`), in declaration order.
    pub const NAMES: [&'static str; 26] = [
        "registered",
        "reregistered",
        "heartbeat_missed",
        "heartbeat_resumed",
        "evicted",
        "preserved",
        "draining",
        "stopped",
        "crashed",
        "slowed",
        "partitioned",
        "restarting",
        "recovered",
        "fault_ignored",
        "ejected",
        "unejected",
        "health_checks_passed",
        "health_checks_failed",
        "scaled",
        "kept",
        "rate_changed",
        "rebalanced",
        "activator_timed_out",
        "activator_released",
        "terminating",
        "marked_down",
    ];

    /// The event's name, as serialized in `kind`.
    pub fn name(&self) -> &'static str {
        Self::NAMES[self.index()]
    }

    fn index(&self) -> usize {
        use LogEvent::*;
        match self {
            Registered => 0,
            Reregistered => 1,
            HeartbeatMissed { .. } => 2,
            HeartbeatResumed => 3,
            Evicted { .. } => 4,
            Preserved => 5,
            Draining => 6,
            Stopped => 7,
            Crashed { .. } => 8,
            Slowed { .. } => 9,
            Partitioned => 10,
            Restarting => 11,
            Recovered => 12,
            FaultIgnored { .. } => 13,
            Ejected { .. } => 14,
            Unejected => 15,
            HealthChecksPassed { .. } => 16,
            HealthChecksFailed { .. } => 17,
            Scaled { .. } => 18,
            Kept { .. } => 19,
            RateChanged { .. } => 20,
            Rebalanced { .. } => 21,
            ActivatorTimedOut { .. } => 22,
            ActivatorReleased { .. } => 23,
            Terminating => 24,
            MarkedDown { .. } => 25,
        }
    }

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
            | Terminating
            | Stopped => LogGroup::Registry,
            Crashed { .. }
            | Slowed { .. }
            | Partitioned
            | Restarting
            | Recovered
            | FaultIgnored { .. } => LogGroup::Fault,
            Ejected { .. }
            | Unejected
            | MarkedDown { .. }
            | HealthChecksPassed { .. }
            | HealthChecksFailed { .. } => LogGroup::Health,
            Scaled { .. } | Kept { .. } => LogGroup::Scaling,
            RateChanged { .. }
            | Rebalanced { .. }
            | ActivatorTimedOut { .. }
            | ActivatorReleased { .. } => LogGroup::Traffic,
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
            Terminating => write!(f, "deregistered; still serving while its preStop hook runs"),
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
            MarkedDown {
                fails,
                fail_timeout_s,
            } => write!(
                f,
                "{fails} failures: unavailable for {fail_timeout_s} s, then one probe request"
            ),
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
            ActivatorTimedOut {
                requests,
                timeout_s,
            } => write!(
                f,
                "{requests} requests held by the activator for {timeout_s} s timed out: failed"
            ),
            ActivatorReleased {
                requests,
                longest_wait_s,
            } => write!(
                f,
                "an instance is ready: the activator sends on the {requests} requests it held (the longest waited {longest_wait_s:.1} s)"
            ),
        }
    }
}

/// Which events stop the clock (the page's "pause when…"): a set of event names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Breakpoints(u32);

impl Breakpoints {
    pub const NONE: Breakpoints = Breakpoints(0);

    /// From event names (`evicted`, `ejected`, `scaled`, …); an unknown name is refused.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Breakpoints, crate::error::Error> {
        let mut bits = 0u32;
        for name in names {
            let name = name.as_ref();
            match LogEvent::NAMES
                .iter()
                .position(|n| !n.is_empty() && *n == name)
            {
                Some(i) => bits |= 1 << i,
                None => {
                    return Err(crate::error::Error::of(
                        "breakpoints",
                        crate::error::ErrorKind::UnknownName {
                            allowed: LogEvent::NAMES
                                .iter()
                                .filter(|n| !n.is_empty())
                                .map(|n| n.to_string())
                                .collect(),
                        },
                        Some(format!("\"{name}\"")),
                    ))
                }
            }
        }
        Ok(Breakpoints(bits))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn matches(self, event: &LogEvent) -> bool {
        self.0 & (1 << event.index()) != 0
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

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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
    fn names_are_the_serialized_kinds() {
        let events = [
            LogEvent::Registered,
            LogEvent::HeartbeatMissed { partitioned: true },
            LogEvent::Evicted {
                ttl_s: 1.0,
                last_renewal_s: 0.0,
            },
            LogEvent::FaultIgnored {
                fault: FaultKind::Crash,
                missing: true,
            },
            LogEvent::HealthChecksFailed { checks: 2 },
            LogEvent::Rebalanced {
                in_view: 3,
                moved_fraction: 0.2,
            },
        ];
        for e in events {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["kind"], e.name());
        }
        let b = Breakpoints::from_names(&["evicted", "scaled"]).unwrap();
        assert!(b.matches(&LogEvent::Evicted {
            ttl_s: 1.0,
            last_renewal_s: 0.0
        }));
        assert!(!b.matches(&LogEvent::Registered));
        assert!(Breakpoints::from_names(&["explodes"]).is_err());
        assert!(Breakpoints::from_names(&[""]).is_err());
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
