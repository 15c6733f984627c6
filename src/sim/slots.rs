//! An instance's server slots: where the requests in service sit, found again by the slot
//! number their completion event carries. A freed slot is reused before a new one is made,
//! the most recently freed first (a stack), and iteration is in slot order, which decides the
//! order in which a crash loses requests; both are part of every run's output.
//!
//! Slot 0 and the top of the free stack live inside the record, so an instance serving one
//! request at a time (the default, `concurrency: 1`) never leaves its own record to start or
//! finish one: at 100,000 instances each extra allocation touched per request was a cache
//! miss. Further slots, and the rest of the stack, are in vectors behind one pointer, so the
//! whole is a single 64-byte line of the record.

use super::instance::Serving;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct ServerSlots {
    first: Option<Serving>,
    /// How many slots were made: they are made in order, so slot `k` exists iff `k < made`.
    made: u32,
    /// The top of the free stack, or `NONE`.
    free_top: u32,
    /// Made with the second slot.
    more: Option<Box<MoreSlots>>,
}

#[derive(Debug, Clone, Default)]
struct MoreSlots {
    /// Slots 1, 2, …
    rest: Vec<Option<Serving>>,
    /// The free stack below its top, bottom first.
    free_below: Vec<u32>,
}

impl Default for ServerSlots {
    fn default() -> Self {
        ServerSlots {
            first: None,
            made: 0,
            free_top: NONE,
            more: None,
        }
    }
}

impl ServerSlots {
    /// Puts a request into a free slot, the most recently freed one if any; returns the slot.
    #[inline]
    pub fn take(&mut self, serving: Serving) -> u32 {
        let slot = if self.free_top != NONE {
            let slot = self.free_top;
            self.free_top = self
                .more
                .as_mut()
                .and_then(|m| m.free_below.pop())
                .unwrap_or(NONE);
            slot
        } else {
            self.made += 1;
            if self.made > 1 {
                self.more.get_or_insert_default().rest.push(None);
            }
            self.made - 1
        };
        *self.get_mut(slot).expect("a made slot") = Some(serving);
        slot
    }

    /// Empties a slot, returning what it held (None for a free or never made slot).
    #[inline]
    pub fn release(&mut self, slot: u32) -> Option<Serving> {
        let taken = self.get_mut(slot)?.take();
        if taken.is_some() {
            if self.free_top != NONE {
                let below = self.free_top;
                self.more.get_or_insert_default().free_below.push(below);
            }
            self.free_top = slot;
        }
        taken
    }

    #[inline]
    fn get_mut(&mut self, slot: u32) -> Option<&mut Option<Serving>> {
        if slot >= self.made {
            None
        } else if slot == 0 {
            Some(&mut self.first)
        } else {
            self.more.as_mut()?.rest.get_mut(slot as usize - 1)
        }
    }

    /// The requests in service, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Serving> {
        let rest = self.more.iter().flat_map(|m| m.rest.iter().flatten());
        self.first.iter().chain(rest)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Serving> {
        let rest = self
            .more
            .iter_mut()
            .flat_map(|m| m.rest.iter_mut().flatten());
        self.first.iter_mut().chain(rest)
    }

    /// Forgets every slot (a crash or a forced stop): numbering starts again from 0.
    pub fn clear(&mut self) {
        self.first = None;
        self.made = 0;
        self.free_top = NONE;
        if let Some(m) = &mut self.more {
            m.rest.clear();
            m.free_below.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::instance::{Request, NO_INSTANCE};

    fn req(n: u64) -> Serving {
        Serving {
            request: Request {
                arrived_ns: n,
                sent_ns: n,
                work: 1.0,
                key: 0,
                attempt: 0,
                previous: NO_INSTANCE,
            },
            abandoned: false,
        }
    }

    /// The layout it replaces: one vector of slots and one free stack, as a reference.
    #[derive(Default)]
    struct Plain {
        slots: Vec<Option<Serving>>,
        free: Vec<u32>,
    }

    impl Plain {
        fn take(&mut self, s: Serving) -> u32 {
            match self.free.pop() {
                Some(k) => {
                    self.slots[k as usize] = Some(s);
                    k
                }
                None => {
                    self.slots.push(Some(s));
                    self.slots.len() as u32 - 1
                }
            }
        }
        fn release(&mut self, k: u32) -> Option<Serving> {
            let t = self.slots.get_mut(k as usize)?.take();
            if t.is_some() {
                self.free.push(k);
            }
            t
        }
    }

    #[test]
    fn same_slots_and_order_as_one_vector_and_a_free_stack() {
        let (mut slots, mut plain) = (ServerSlots::default(), Plain::default());
        let mut x: u64 = 7;
        let mut held: Vec<u32> = Vec::new();
        for n in 0..50_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (x >> 33) % 100;
            if r < 48 || held.is_empty() {
                let (a, b) = (slots.take(req(n)), plain.take(req(n)));
                assert_eq!(a, b);
                held.push(a);
            } else if r < 97 {
                let k = held.swap_remove((x >> 40) as usize % held.len());
                assert_eq!(slots.release(k), plain.release(k));
                assert_eq!(slots.release(k), None, "released twice");
            } else if r < 98 {
                assert_eq!(slots.release(10_000), None);
            } else {
                slots.clear();
                plain = Plain::default();
                held.clear();
            }
            let in_order: Vec<u64> = slots.iter().map(|s| s.request.arrived_ns).collect();
            let want: Vec<u64> = plain
                .slots
                .iter()
                .flatten()
                .map(|s| s.request.arrived_ns)
                .collect();
            assert_eq!(in_order, want);
        }
        assert!(slots.made > 3, "the test reached several slots");
    }

    #[test]
    fn one_server_reuses_slot_zero() {
        let mut slots = ServerSlots::default();
        for n in 0..3 {
            assert_eq!(slots.take(req(n)), 0);
            assert_eq!(slots.release(0).map(|s| s.request.arrived_ns), Some(n));
            assert!(slots.iter().next().is_none());
        }
        assert!(slots.more.is_none());
    }
}
