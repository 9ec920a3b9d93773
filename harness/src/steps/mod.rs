//! The step vocabulary, one module per part of a scenario. Each module lists
//! its steps in [`VOCABULARY`] with an example, which `lockstep steps` prints
//! and a test matches against the registered definitions.

pub mod access;
pub mod action_log;
pub mod admin;
pub mod amapi;
pub mod container;
pub mod device_answers;
pub mod faults;
pub mod firmware;
pub mod handset;
pub mod outcomes;
pub mod portal;
pub mod setup;

/// One step of the vocabulary, for `lockstep steps`.
#[derive(Debug, Clone, Copy)]
pub struct StepDoc {
    pub keyword: &'static str,
    pub pattern: &'static str,
    pub example: &'static str,
}

/// Every step, grouped as the modules are.
pub fn vocabulary() -> Vec<(&'static str, &'static [StepDoc])> {
    vec![
        ("setting up", setup::VOCABULARY),
        ("administrator actions", admin::VOCABULARY),
        ("self-service portal", portal::VOCABULARY),
        ("the device in hand", handset::VOCABULARY),
        ("device-side firmware checks (@device)", firmware::VOCABULARY),
        ("outcomes", outcomes::VOCABULARY),
        ("the Android Management API directly (god-mode)", amapi::VOCABULARY),
        ("faults of the Android Management API (god-mode)", faults::VOCABULARY),
        ("what the device answers (god-mode)", device_answers::VOCABULARY),
        ("sessions and roles", access::VOCABULARY),
        ("the action log: cancelling, filters, what is shown when", action_log::VOCABULARY),
        ("the MDM's container (@docker)", container::VOCABULARY),
    ]
}

/// Step definitions register themselves through link sections; a linker
/// drops an object file nothing refers to, taking its steps with it. The
/// runner calls this so every step module is referenced.
pub fn link() {
    let anchors: [fn(); 12] = [
        setup::anchor,
        admin::anchor,
        portal::anchor,
        handset::anchor,
        outcomes::anchor,
        amapi::anchor,
        firmware::anchor,
        device_answers::anchor,
        faults::anchor,
        access::anchor,
        action_log::anchor,
        container::anchor,
    ];
    for a in anchors {
        std::hint::black_box(a);
    }
}

pub use crate::patience::PATIENCE;
pub use crate::world::eventually;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::LockstepWorld;
    use cucumber::gherkin::{LineCol, Span, Step, StepType};
    use cucumber::World as _;

    /// Every example `lockstep steps` prints is a step the suite understands,
    /// matched by exactly one definition.
    #[test]
    fn every_documented_example_matches_one_definition() {
        link();
        let collection = LockstepWorld::collection();
        for (group, docs) in vocabulary() {
            for doc in docs {
                let (keyword, value) = doc.example.split_once(' ').expect("keyword and text");
                let ty = match keyword {
                    "Given" => StepType::Given,
                    "When" => StepType::When,
                    _ => StepType::Then,
                };
                let step = Step {
                    keyword: keyword.to_owned(),
                    ty,
                    value: value.to_owned(),
                    docstring: None,
                    table: None,
                    span: Span { start: 0, end: 0 },
                    position: LineCol { line: 0, col: 0 },
                };
                match collection.find(&step) {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("{group}: the example `{}` matches no step definition", doc.example),
                    Err(e) => panic!("{group}: the example `{}` is ambiguous: {e}", doc.example),
                }
            }
        }
    }
}
