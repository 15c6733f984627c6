//! `build` wires every algorithm; all of them share the trait's edge cases.

use super::common::testing::Loads;
use super::*;
use crate::rng::SimRng;
use crate::scenario::Algorithm;
use crate::scenario::BalancerConfig;

#[test]
fn every_algorithm_builds_and_handles_empty_and_changing_sets() {
    let mut rng = SimRng::seed(7);
    for algorithm in Algorithm::ALL {
        let config = BalancerConfig {
            algorithm,
            table_size: 251,
            ..BalancerConfig::default()
        };
        let Some(mut b) = build(&config) else {
            assert_eq!(algorithm, Algorithm::SharedQueue);
            continue;
        };
        let name = algorithm.name();
        let none = Loads(vec![]);
        assert_eq!(
            b.pick(1, &none, &mut rng, 0),
            None,
            "{name}: no endpoints before set_endpoints"
        );
        b.set_endpoints(&[]);
        assert_eq!(b.pick(1, &none, &mut rng, 0), None, "{name}: empty set");

        // Weight 0 is invalid upstream but must not panic here.
        let eps: Vec<Endpoint> = (0..5)
            .map(|i| Endpoint {
                id: i * 3,
                weight: i,
            })
            .collect();
        b.set_endpoints(&eps);
        let loads = Loads(vec![0, 1, 2, 3, 4]);
        for t in 0..200u64 {
            let i = b
                .pick(t % 17 + 1, &loads, &mut rng, t * 1_000_000)
                .expect("non-empty set picks");
            assert!(i < eps.len(), "{name}: index in range");
            b.on_response(eps[i].id, 5_000_000, t * 1_000_000 + 5_000_000);
        }
        b.on_response(999, 1, 1); // unknown id: ignored
        b.set_endpoints(&eps[1..3]);
        let loads = Loads(vec![0, 0]);
        for t in 0..50u64 {
            let i = b
                .pick(t + 1, &loads, &mut rng, 1_000_000_000 + t)
                .expect("still non-empty");
            assert!(i < 2, "{name}: index in range after shrink");
        }
        b.set_endpoints(&[]);
        assert_eq!(b.pick(1, &none, &mut rng, 0), None, "{name}: emptied again");
    }
}
