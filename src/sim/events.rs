//! The event queue of the discrete-event engine: a binary heap ordered by (time, sequence), so
//! events at the same nanosecond run in the order they were scheduled (FIFO ties, as in
//! dslab-core). Stale events (for an instance that crashed or restarted) are not removed; they
//! carry an epoch and are ignored when they come up, which keeps scheduling O(log n).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::instance::Request;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// The next request of the arrival process (epoch changes when the rate changes).
    Arrival {
        epoch: u32,
    },
    Completion {
        instance: u32,
        epoch: u32,
        request: Request,
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
    /// The lease renewed at `renewed_ns` expires now unless renewed since.
    LeaseExpiry {
        instance: u32,
        renewed_ns: u64,
    },
    /// A tick of one of the periodic chains; ticks of an older epoch (the chain was restarted
    /// when its setting changed) are ignored, so a chain never runs twice.
    Timer {
        timer: Timer,
        epoch: u32,
    },
    /// An outlier-ejected instance returns to the balancer's set.
    Unejection {
        instance: u32,
        ejection: u32,
    },
    /// The activator's oldest held request may have reached its timeout.
    ActivatorTimeout,
}

/// The periodic chains of the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The discovery cache is refreshed from the registry (every `registry.refresh_s`).
    DiscoveryRefresh = 0,
    /// The balancer's delayed copy of the instances' load (every `balancer.load_delay_s`).
    LoadReport = 1,
    /// Active health checks (every `balancer.health_check.interval_s`).
    HealthCheck = 2,
    /// The autoscaler's reconcile (every `autoscaler.sync_s`).
    Autoscale = 3,
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
}
