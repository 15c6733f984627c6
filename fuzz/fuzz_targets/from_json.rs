//! `Scenario::from_json` on arbitrary bytes: it must answer Ok or an `Error` naming a field (or
//! the document, ""), never panic, and a scenario it accepts must validate and survive a round
//! trip through its own JSON.
#![no_main]

use fleetlab::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::from_json(text) {
        Ok(scenario) => {
            scenario.validate().expect("an accepted scenario validates");
            let again = Scenario::from_json(&scenario.to_json()).expect("its own JSON reads back");
            assert_eq!(again.to_json(), scenario.to_json());
        }
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "one line: {line:?}");
            assert!(!line.is_empty());
        }
    }
});
