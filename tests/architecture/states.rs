//! States are typed: a status or kind is written as a string only in its enum's own module (the
//! `text_enum!` that declares it), never compared or stored as a literal anywhere else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::source::{SourceFile, read_tree, string_literals};

/// Stored name → the files whose `text_enum!` declares it.
fn declared(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let mut from = 0;
        while let Some(at) = f.code[from..].find("text_enum! {") {
            let start = from + at;
            let end = f.code[start..].find("\n}").map_or(f.code.len(), |e| start + e);
            for (_, _, literal) in string_literals(&f.code[start..end], &f.text[start..end]) {
                out.entry(literal).or_default().insert(f.relative.clone());
            }
            from = end;
        }
    }
    out
}

/// Where a literal that happens to spell a state is not one: an error code, a record's kind in the
/// audit trail or a not-found message, a field name in an audit change.
fn is_other_vocabulary(code_before: &str) -> bool {
    let before = code_before.trim_end();
    [
        "NotFound(",
        "entity:",
        "entity: Some(",
        "conflict(",
        "forbidden(",
        "Change::set(",
        "Change::update(",
        // An OpenAPI tag, and the name of an event in a participant's timeline.
        "tag =",
        "event:",
    ]
    .iter()
    .any(|p| before.ends_with(p))
}

/// Words that spell a state but mean something else where they are written.
const NOT_STATES: &[(&str, &str)] = &[
    // `trialdesk user list`: an account is active or disabled (a flag, not a group's state).
    ("cli.rs", "active"),
    // The default log filter: a tracing level, not an alert's severity.
    ("telemetry.rs", "info"),
    // The demo's simulated background: a stratum level, not a screening's outcome.
    ("demo/recruitment.rs", "other"),
    // The blinding policy's list of audit actions every arm goes through: an action, not a
    // notice's kind.
    ("blinding.rs", "emergency_unblinding"),
    // The enrolment form's race choices (NIH categories), not a screening's outcome.
    ("desk/pages/enrol.rs", "other"),
    // The race values an affinity tag may name (the same NIH categories).
    ("protocol/tags.rs", "other"),
    // Suggested referral sources, not a screening's outcome.
    ("desk/pages/screening.rs", "other"),
];

#[test]
fn no_state_literal_outside_its_enums_module() {
    let files = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let states = declared(&files);
    assert!(states.len() > 20, "found too few declared states to be reading text_enum!: {}", states.len());
    let mut found = Vec::new();
    for f in &files {
        for (line, start, literal) in string_literals(&f.code, &f.text) {
            let Some(homes) = states.get(&literal) else { continue };
            if homes.contains(&f.relative) || NOT_STATES.contains(&(f.relative.as_str(), literal.as_str())) {
                continue;
            }
            if !is_other_vocabulary(&f.code[..start]) {
                found.push(format!(
                    "{}:{line}: \"{literal}\" (declared in {})",
                    f.relative,
                    homes.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    assert!(found.is_empty(), "state literals outside their enum's module:\n{}", found.join("\n"));
}
