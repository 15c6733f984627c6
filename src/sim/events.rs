//! The event queue of the discrete-event engine: a heap ordered by (time, sequence), so
//! events at the same nanosecond run in the order they were scheduled (FIFO ties, as in
//! dslab-core). The heap is 4-ary: half the depth of a binary heap, and a node's four children
//! sit in two adjacent cache lines, which matters at 100,000 instances where the heap outgrows
//! the cache. (time, sequence) is a total order, so the pop order, and every run, is the same
//! whatever the heap's shape. Stale events (for an instance that crashed or restarted) are not removed; they
//! carry an epoch and are ignored when they come up, which keeps scheduling O(log n).
//!
//! The arrival process's next arrival, half of all events, waits outside the heap in a lane of
//! its own, and a pop takes the lesser of it and the heap's top by the same (time, sequence)
//! key: the order is the one a single heap gives, without a push and a sift-down per request
//! (at 10,000 instances an arrival, always the soonest event, would sift from a leaf to the
//! root and back). When a rate change draws a new arrival, the pending one, now stale, moves
//! into the heap and comes up there as before.

/// A 4-byte tag, so that the fields after it are aligned words: with a 1-byte tag, copies out
/// of the queue were unaligned, overlapping moves that stalled store-to-load forwarding (a
/// third of the run loop's samples at N = 5, by perf).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(u32)]
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
    /// A model-server replica finishes its current step.
    Step {
        instance: u32,
        epoch: u32,
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

impl Entry {
    #[inline]
    fn before(&self, other: &Entry) -> bool {
        (self.time_ns, self.seq) < (other.time_ns, other.seq)
    }
}

/// Children per node.
const ARITY: usize = 4;

#[derive(Debug, Default, Clone)]
pub struct EventQueue {
    /// A 4-ary min-heap on (time, seq): the children of `i` are `4i + 1 ..= 4i + 4`.
    heap: Vec<Entry>,
    /// The latest scheduled arrival, not yet popped.
    arrival: Option<Entry>,
    next_seq: u64,
}

impl EventQueue {
    pub fn schedule(&mut self, time_ns: u64, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            time_ns,
            seq,
            event,
        };
        if let Event::Arrival { .. } = event {
            if let Some(stale) = self.arrival.replace(entry) {
                self.push(stale);
            }
        } else {
            self.push(entry);
        }
    }

    fn push(&mut self, entry: Entry) {
        let mut i = self.heap.len();
        self.heap.push(entry);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if !entry.before(&self.heap[parent]) {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = entry;
    }

    /// Takes the next sequence number without scheduling anything: an event scheduled later
    /// with it (`schedule_at_seq`) sorts among same-instant events as if scheduled now.
    pub fn reserve_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq - 1
    }

    /// Schedules with a sequence number taken earlier by `reserve_seq`.
    pub fn schedule_at_seq(&mut self, time_ns: u64, seq: u64, event: Event) {
        self.push(Entry {
            time_ns,
            seq,
            event,
        });
    }

    pub fn peek_time(&self) -> Option<u64> {
        match (&self.arrival, self.heap.first()) {
            (Some(a), Some(h)) => Some(a.time_ns.min(h.time_ns)),
            (Some(a), None) => Some(a.time_ns),
            (None, h) => h.map(|e| e.time_ns),
        }
    }

    pub fn pop(&mut self) -> Option<(u64, Event)> {
        if let Some(arrival) = self.arrival {
            if self.heap.first().is_none_or(|top| arrival.before(top)) {
                self.arrival = None;
                return Some((arrival.time_ns, arrival.event));
            }
        }
        self.pop_heap()
    }

    fn pop_heap(&mut self) -> Option<(u64, Event)> {
        let last = self.heap.pop()?;
        let Some(&top) = self.heap.first() else {
            return Some((last.time_ns, last.event));
        };
        // Sift the last entry down from the root into the hole the top leaves.
        let heap = self.heap.as_mut_slice();
        let n = heap.len();
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            let best = if first + ARITY <= n {
                // Four children (all but the last node): a two-round tournament over one
                // bounds-checked slice. Keys are distinct, so any order finds the same least.
                let c = &heap[first..first + ARITY];
                let a = usize::from(c[1].before(&c[0]));
                let b = 2 + usize::from(c[3].before(&c[2]));
                first + if c[b].before(&c[a]) { b } else { a }
            } else if first < n {
                (first + 1..n).fold(
                    first,
                    |best, c| {
                        if heap[c].before(&heap[best]) {
                            c
                        } else {
                            best
                        }
                    },
                )
            } else {
                break;
            };
            if !heap[best].before(&last) {
                break;
            }
            heap[i] = heap[best];
            i = best;
        }
        self.heap[i] = last;
        Some((top.time_ns, top.event))
    }

    /// The heap's next event (not the arrival lane's), to look at before it is due.
    #[inline]
    pub fn heap_top(&self) -> Option<&Event> {
        self.heap.first().map(|e| &e.event)
    }

    pub fn reserve(&mut self, n: usize) {
        self.heap.reserve(n);
    }

    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.arrival.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear congruential step (Knuth's MMIX constants): test data without a dependency.
    fn next(x: &mut u64) {
        *x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
    }

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
    fn pops_in_time_then_schedule_order_whatever_the_pushes() {
        // Against a sort of the same (time, seq) pairs, with pops interleaved.
        let mut q = EventQueue::default();
        let mut expected = Vec::new();
        let mut got = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..20_000u32 {
            next(&mut x);
            let t = (x >> 33) % 500;
            q.schedule(t, Event::Fault { index: i });
            expected.push((t, i));
            if i % 3 == 0 {
                got.push(q.pop().unwrap());
            }
        }
        while let Some(e) = q.pop() {
            got.push(e);
        }
        // Replay: a pop takes the least (time, seq) among those pushed so far and not popped.
        let mut pending: Vec<(u64, u32)> = Vec::new();
        let mut want = Vec::new();
        for (i, &(t, k)) in expected.iter().enumerate() {
            pending.push((t, k));
            if i % 3 == 0 {
                let m = (0..pending.len()).min_by_key(|&j| pending[j]).unwrap();
                want.push(pending.remove(m));
            }
        }
        pending.sort();
        want.extend(pending);
        let got: Vec<(u64, u32)> = got
            .into_iter()
            .map(|(t, e)| match e {
                Event::Fault { index } => (t, index),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, want);
        assert!(q.is_empty() && q.peek_time().is_none());
    }

    #[test]
    fn arrivals_in_their_lane_pop_in_the_order_of_one_heap() {
        // Every fourth event is an arrival; a new one moves the pending one into the heap (as a
        // rate change does). Pops, interleaved, must follow the (time, schedule order) of all.
        let mut q = EventQueue::default();
        let mut pending: Vec<(u64, u32)> = Vec::new();
        let (mut got, mut want) = (Vec::new(), Vec::new());
        let key = |e: Event| match e {
            Event::Fault { index } | Event::Arrival { epoch: index } => index,
            _ => unreachable!(),
        };
        let mut x: u64 = 99;
        for i in 0..20_000u32 {
            next(&mut x);
            let t = (x >> 33) % 300;
            let event = if i % 4 == 0 {
                Event::Arrival { epoch: i }
            } else {
                Event::Fault { index: i }
            };
            q.schedule(t, event);
            pending.push((t, i));
            assert_eq!(q.len(), pending.len());
            if (x >> 20) % 2 == 0 {
                let (t, e) = q.pop().unwrap();
                assert_eq!(q.peek_time().is_some(), pending.len() > 1);
                got.push((t, key(e)));
                let m = (0..pending.len()).min_by_key(|&j| pending[j]).unwrap();
                want.push(pending.remove(m));
            }
        }
        while let Some(top) = q.peek_time() {
            let (t, e) = q.pop().unwrap();
            assert_eq!(t, top);
            got.push((t, key(e)));
        }
        pending.sort();
        want.extend(pending);
        assert_eq!(got, want);
        assert!(q.is_empty());
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
