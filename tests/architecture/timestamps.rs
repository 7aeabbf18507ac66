//! Times in JSON are RFC 3339 with `Z`: every UTC time a `Serialize` type carries goes through
//! `crate::json::utc` (or `utc_opt`). A bare `NaiveDateTime` would be written without an offset,
//! and a JavaScript client would read it as its own local time.

use std::path::Path;

use crate::source::read_tree;

#[test]
fn every_time_field_of_a_serialized_type_is_written_with_z() {
    let mut bare = Vec::new();
    for f in read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let lines: Vec<&str> = f.text.lines().collect();
        // Whether the item being read derives `Serialize`, and whether we are in such a struct.
        let (mut derives, mut inside) = (false, false);
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.starts_with("#[derive(") {
                derives = t.contains("Serialize");
                continue;
            }
            if t.starts_with("#[") || t.starts_with("//") {
                continue;
            }
            if !line.starts_with(' ') {
                inside = derives && t.contains("struct ") && t.ends_with('{');
                derives = false;
                continue;
            }
            let is_time = t.ends_with(": NaiveDateTime,")
                || t.ends_with(": Option<NaiveDateTime>,")
                || t.ends_with(": chrono::NaiveDateTime,")
                || t.ends_with(": Option<chrono::NaiveDateTime>,");
            if !inside || !is_time {
                continue;
            }
            // A field's attributes sit on the lines above it, under its doc comment.
            let above = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim().starts_with("#[") || l.trim().starts_with("///"));
            let written_with_z = above.clone().any(|l| l.contains("crate::json::utc"));
            let skipped = above.clone().any(|l| l.contains("serde(skip"));
            if !written_with_z && !skipped {
                bare.push(format!("{}:{}: {t}", f.relative, i + 1));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "times serialized without an offset (add #[serde(serialize_with = \"crate::json::utc\")]):\n{}",
        bare.join("\n")
    );
}
