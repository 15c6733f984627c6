//! Serving: a request delivered to an instance starts at once in a free server slot or waits
//! in its FIFO queue (refused with a 503 beyond `queue_limit`); a completion records the
//! latency, tells the balancer and its health knowledge, and starts the next waiting request
//! (from the instance's own queue, or in shared-queue mode from the central one). A draining
//! instance stops when it is empty. A request whose client gave up is served all the same and
//! its response thrown away (see `timeouts.rs`).

use super::{clock, Event, Lifecycle, Request, Routing, Serving, Simulation};

/// Why an instance did not take a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct QueueFull;

impl Simulation {
    /// Hands `request` (its attempt sent now) to instance `id`, which accepts connections.
    pub(super) fn deliver(&mut self, id: u32, request: Request) -> Result<(), QueueFull> {
        let queue_limit = self.scenario.instances.queue_limit as usize;
        let inst = &mut self.fleet[id];
        inst.routed += 1;
        if inst.in_service < inst.concurrency {
            self.start_service(id, request, false);
        } else if inst.queue.len() < queue_limit {
            inst.queue.push_back(request);
        } else {
            inst.dropped += 1;
            return Err(QueueFull);
        }
        self.arm_timeout(id);
        Ok(())
    }

    pub(super) fn start_service(&mut self, id: u32, request: Request, abandoned: bool) {
        let capacity = self.scenario.instances.capacity_rps;
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        let service_ns = (request.work / inst.rate_rps(capacity)) * 1e9;
        let in_service = inst.in_service + 1;
        inst.set_in_service(now, in_service);
        let slot = inst.take_slot(Serving { request, abandoned });
        let epoch = inst.epoch;
        // Truncated to whole nanoseconds (`as` saturates); a service that would end past the
        // end of time never completes.
        let Some(done) = clock::later(now, service_ns as u64) else {
            return;
        };
        self.queue.schedule(
            done,
            Event::Completion {
                instance: id,
                epoch,
                slot,
            },
        );
    }

    /// Takes the next waiting request of instance `id`'s own queue into service.
    fn start_next_waiting(&mut self, id: u32) -> bool {
        let inst = &mut self.fleet[id];
        let Some(next) = inst.queue.pop_front() else {
            return false;
        };
        let abandoned = inst.queue_abandoned > 0;
        if abandoned {
            inst.queue_abandoned -= 1;
        }
        self.start_service(id, next, abandoned);
        true
    }

    pub(super) fn on_completion(&mut self, id: u32, epoch: u32, slot: u32) {
        let now = self.now_ns;
        if self.fleet[id].epoch != epoch {
            return; // lost in a crash, already accounted for
        }
        // The next waiting request starts below, after the bookkeeping: its fetch overlaps it
        // (at 10,000 instances and more the queues outgrow the cache).
        if super::fleet::PREFETCHES {
            if let Some(next) = self.fleet[id].queue.front() {
                super::fleet::prefetch_value(next);
            }
        }
        let Some(done) = self.fleet[id].release_slot(slot) else {
            return;
        };
        let request = done.request;
        let latency = now - request.arrived_ns;
        if done.abandoned {
            // Its client timed out long ago: the work is done, the response goes nowhere.
            self.fleet[id].abandoned -= 1;
        } else {
            if request.arrived_ns >= self.warmup_ns {
                self.stats.latency.record(latency);
            }
            self.stats.window.latency.record(latency);
            self.stats.requests.completed += 1;
            self.stats.window.completed += 1;
            self.fleet[id].completed += 1;
            if let Routing::Balanced(b) = &mut self.routing {
                b.on_response(id, now - request.sent_ns, now);
            }
            self.attempt_succeeded(id);
        }
        let inst = &mut self.fleet[id];
        let in_service = inst.in_service;
        inst.set_in_service(now, in_service - 1);
        let started = match &mut self.routing {
            Routing::Balanced(_) => self.start_next_waiting(id),
            Routing::Shared { .. } => self.take_from_shared(id),
        };
        if !started {
            let inst = &self.fleet[id];
            let draining_done = inst.state == Lifecycle::Draining && inst.active() == 0;
            self.list_idle(id);
            if draining_done {
                self.stop(id);
            }
        }
        // A slot freed: the activator (if it holds requests) may send the next one here.
        if self.scaling.activator_settings.is_some() {
            self.activator_slot_free(id, false);
        }
    }
}
