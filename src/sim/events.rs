//! The event queue of the discrete-event engine: a binary heap ordered by (time, sequence), so
//! events at the same nanosecond run in the order they were scheduled (FIFO ties, as in
//! dslab-core). Stale events (for an instance that crashed or restarted) are not removed; they
//! carry an epoch and are ignored when they come up, which keeps scheduling O(log n).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// The next request of the arrival process (epoch changes when the rate changes).
    Arrival {
        epoch: u32,
    },
    /// The request in server slot `slot` of the instance is done.
    Completion {
        instance: u32,
        epoch: u32,
        slot: u32,
    },
    /// An instance finishes starting up.
    Ready {
        instance: u32,
        epoch: u32,
    },
    /// End of a one-second sampling window.
    Sample,
    RateChange {
        index: u32,
    },
    Fault {
        index: u32,
    },
    /// A live change recorded in the scenario's `edits`, replayed at its time.
    Edit {
        index: u32,
    },
    /// The registry expects a heartbeat from the instance now.
    Heartbeat {
        instance: u32,
        epoch: u32,
    },
    /// The consul lease's one timer: it expires now unless renewed since (then the timer is
    /// set again for the new expiry).
    LeaseExpiry {
        instance: u32,
        epoch: u32,
    },
    /// The instance's timeout timer: the oldest request it holds may be past its deadline
    /// (`TIMEOUT_CENTRAL` for the shared queue's).
    Timeout {
        instance: u32,
        epoch: u32,
    },
    /// A request waiting out its retry back-off (in the simulation's retry slots) is sent again.
    Retry {
        slot: u32,
    },
    /// One host's active health-check probe.
    HealthProbe {
        instance: u32,
        epoch: u32,
    },
    /// The preStop hook of a removed instance ends: it stops accepting and drains.
    PreStopDone {
        instance: u32,
        epoch: u32,
    },
    /// An nginx-unavailable server's window may be over.
    PeerReopen {
        instance: u32,
    },
    /// A tick of one of the periodic chains; ticks of an older epoch (the chain was restarted
    /// when its setting changed) are ignored, so a chain never runs twice.
    Timer {
        timer: Timer,
        epoch: u32,
    },
    /// The activator's oldest held request may have reached its timeout.
    ActivatorTimeout,
}

/// The `instance` of a `Timeout` event for the shared queue.
pub const TIMEOUT_CENTRAL: u32 = u32::MAX;

/// The periodic chains of the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The discovery cache is refreshed from the registry (every `registry.refresh_s`).
    DiscoveryRefresh = 0,
    /// The balancer's delayed copy of the instances' load (every `balancer.load_delay_s`).
    LoadReport = 1,
    /// Envoy's outlier-detection interval (every `balancer.outlier_detection.interval_s`).
    OutlierInterval = 2,
    /// The autoscaler's reconcile (every `autoscaler.sync_s`).
    Autoscale = 3,
    /// Eureka's eviction run and renewal-rate bucket (every 60 s with `registry.flavor: eureka`).
    RegistrySweep = 4,
}

impl Timer {
    pub const ALL: [Timer; 5] = [
        Timer::DiscoveryRefresh,
        Timer::LoadReport,
        Timer::OutlierInterval,
        Timer::Autoscale,
        Timer::RegistrySweep,
    ];
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    time_ns: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.time_ns == other.time_ns && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) comes out first.
        (other.time_ns, other.seq).cmp(&(self.time_ns, self.seq))
    }
}

#[derive(Debug, Default, Clone)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
}

impl EventQueue {
    pub fn schedule(&mut self, time_ns: u64, event: Event) {
        self.heap.push(Entry {
            time_ns,
            seq: self.next_seq,
            event,
        });
        self.next_seq += 1;
    }

    /// Takes the next sequence number without scheduling anything: an event scheduled later
    /// with it (`schedule_at_seq`) sorts among same-instant events as if scheduled now.
    pub fn reserve_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    /// Schedules with a sequence number taken earlier by `reserve_seq`.
    pub fn schedule_at_seq(&mut self, time_ns: u64, seq: u64, event: Event) {
        self.heap.push(Entry {
            time_ns,
            seq,
            event,
        });
    }

    pub fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.time_ns)
    }

    pub fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|e| (e.time_ns, e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_fifo_ties() {
        let mut q = EventQueue::default();
        q.schedule(5, Event::Fault { index: 0 });
        q.schedule(3, Event::Fault { index: 1 });
        q.schedule(5, Event::Fault { index: 2 });
        q.schedule(3, Event::Fault { index: 3 });
        let order: Vec<u32> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Fault { index } => index,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![1, 3, 0, 2]);
    }

    #[test]
    fn a_reserved_sequence_number_sorts_as_if_scheduled_then() {
        let mut q = EventQueue::default();
        let early = q.reserve_seq();
        q.schedule(5, Event::Fault { index: 1 });
        q.schedule_at_seq(5, early, Event::Fault { index: 0 });
        let order: Vec<u32> = std::iter::from_fn(|| q.pop())
            .map(|(_, e)| match e {
                Event::Fault { index } => index,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![0, 1]);
    }
}
