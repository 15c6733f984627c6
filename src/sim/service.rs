//! Serving: a request delivered to an instance starts at once on a free server or waits in its
//! FIFO queue (dropped beyond `queue_limit`); a completion records the latency, tells the
//! balancer, and starts the next waiting request (from the instance's own queue, or in
//! shared-queue mode from the central one). A draining instance stops when it is empty.

use super::{Event, Lifecycle, Request, Routing, Simulation};

impl Simulation {
    pub(super) fn deliver(&mut self, id: u32, request: Request) {
        let queue_limit = self.scenario.instances.queue_limit as usize;
        let inst = &mut self.fleet[id];
        inst.routed += 1;
        if inst.in_service < inst.concurrency {
            self.start_service(id, request);
        } else if inst.queue.len() < queue_limit {
            inst.queue.push_back(request);
        } else {
            inst.dropped += 1;
            self.stats.requests.dropped += 1;
            self.stats.window.dropped += 1;
        }
    }

    pub(super) fn start_service(&mut self, id: u32, request: Request) {
        let capacity = self.scenario.instances.capacity_rps;
        let now = self.now_ns;
        let inst = &mut self.fleet[id];
        let service_ns = ((request.work / inst.rate_rps(capacity)) * 1e9) as u64;
        let in_service = inst.in_service + 1;
        inst.set_in_service(now, in_service);
        let epoch = inst.epoch;
        self.queue.schedule(
            now + service_ns,
            Event::Completion {
                instance: id,
                epoch,
                request,
            },
        );
    }

    pub(super) fn on_completion(&mut self, id: u32, epoch: u32, request: Request) {
        let now = self.now_ns;
        if self.fleet[id].epoch != epoch {
            return; // lost in a crash, already counted as failed
        }
        let latency = now - request.arrived_ns;
        if request.arrived_ns >= self.warmup_ns {
            self.stats.latency.record(latency);
        }
        self.stats.window.latency.record(latency);
        self.stats.requests.completed += 1;
        self.stats.window.completed += 1;
        let inst = &mut self.fleet[id];
        inst.completed += 1;
        let next = match &mut self.routing {
            Routing::Balanced(b) => {
                b.on_response(id, latency, now);
                inst.queue.pop_front()
            }
            Routing::Shared { queue, .. } => {
                if inst.state == Lifecycle::Ready {
                    queue.pop_front()
                } else {
                    None
                }
            }
        };
        let in_service = inst.in_service;
        inst.set_in_service(now, in_service - 1);
        match next {
            Some(next) => self.start_service(id, next),
            None => {
                let inst = &self.fleet[id];
                let draining_done = inst.state == Lifecycle::Draining && inst.active() == 0;
                self.list_idle(id);
                if draining_done {
                    self.stop(id);
                }
            }
        }
        // A slot freed: the activator (if it holds requests) may send the next one here.
        if self.scaling.activator_settings.is_some() {
            self.activator_slot_free(id, false);
        }
    }
}
