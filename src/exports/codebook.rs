//! The codebook and the R and Stata scripts that load an export with its labels.

use std::io::Write;

use super::spec::{Kind, Spec, Variable, io};
use crate::service_error::ServiceError;

fn kind(v: &Variable) -> &'static str {
    match v.kind {
        Kind::Text => "text",
        Kind::Integer => "integer",
    }
}

/// Every variable of the long and wide files, once each.
fn all_variables(spec: &Spec) -> Vec<(&'static str, Variable)> {
    let long = spec.long_variables();
    let wide = spec.wide_variables();
    let mut out: Vec<(&'static str, Variable)> = Vec::new();
    for v in long {
        let both = wide.iter().any(|w| w.name == v.name);
        out.push((if both { "long, wide" } else { "long" }, v));
    }
    for v in wide {
        if out.iter().all(|(_, o)| o.name != v.name) {
            out.push(("wide", v));
        }
    }
    out
}

/// The codebook's columns.
pub const COLUMNS: [&str; 7] = ["variable", "file", "type", "label", "values", "instrument", "derivation"];

/// The codebook's rows, as the CSV has them and the exports page shows them.
pub fn rows(spec: &Spec) -> Vec<[String; 7]> {
    all_variables(spec)
        .into_iter()
        .map(|(file, v)| {
            let values =
                v.values.iter().map(|(code, label)| format!("{code}={label}")).collect::<Vec<_>>().join("; ");
            let instrument = v.instrument.clone().unwrap_or_default();
            [v.name.clone(), file.to_owned(), kind(&v).to_owned(), v.label, values, instrument, v.derivation]
        })
        .collect()
}

pub fn csv(spec: &Spec, out: impl Write) -> Result<(), ServiceError> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(COLUMNS).map_err(io)?;
    for row in rows(spec) {
        w.write_record(row.map(|cell| crate::csv_cell::text(&cell).into_owned())).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// A string literal for R and Stata: double quotes, with quotes and backslashes escaped.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "'"))
}

pub fn r_script(spec: &Spec, mut out: impl Write) -> Result<(), ServiceError> {
    let study = spec.protocol.study.code.get_ref();
    let mut s = format!(
        "# Loads the trialdesk export of study {study} (long.csv and wide.csv, in this folder).\n\
         # Coded text columns become factors with their labels; every column gets a \"label\" attribute.\n\
         # Blinded: {}. Dates: {}.\n\n",
        match (spec.sight.is_blinded(), spec.sight.shows_process()) {
            (false, _) => "no",
            (true, true) => "yes, arms are codes",
            (true, false) =>
                "yes, arms are codes; no group, moderator or attendance columns (they would name the arms)",
        },
        if spec.options.dates { "calendar dates included (limited data set)" } else { "study days only" },
    );
    for (file, variables) in [("long", spec.long_variables()), ("wide", spec.wide_variables())] {
        let classes = variables
            .iter()
            .map(|v| {
                format!(
                    "{} = {}",
                    quoted(&v.name),
                    if v.kind == Kind::Integer { "\"integer\"" } else { "\"character\"" }
                )
            })
            .collect::<Vec<_>>()
            .join(",\n  ");
        s.push_str(&format!(
            "{file} <- read.csv(\"{file}.csv\", na.strings = \"\", stringsAsFactors = FALSE,\n  colClasses = c(\n  {classes}))\n"
        ));
        for v in &variables {
            let name = quoted(&v.name);
            if v.kind == Kind::Text && !v.values.is_empty() {
                let levels = v.values.iter().map(|(c, _)| quoted(c)).collect::<Vec<_>>().join(", ");
                let labels = v.values.iter().map(|(_, l)| quoted(l)).collect::<Vec<_>>().join(", ");
                s.push_str(&format!("{file}[[{name}]] <- factor({file}[[{name}]], levels = c({levels}), labels = c({labels}))\n"));
            }
            if v.kind == Kind::Integer && !v.values.is_empty() {
                let labels = v
                    .values
                    .iter()
                    .map(|(c, l)| format!("{} = {c}L", quoted(l)))
                    .collect::<Vec<_>>()
                    .join(", ");
                s.push_str(&format!("attr({file}[[{name}]], \"labels\") <- c({labels})\n"));
            }
            s.push_str(&format!("attr({file}[[{name}]], \"label\") <- {}\n", quoted(&v.label)));
        }
        s.push('\n');
    }
    out.write_all(s.as_bytes()).map_err(io)
}

/// Stata names: letters, digits and underscores, at most 32 characters.
fn stata_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    cleaned.chars().take(32).collect()
}

pub fn stata_script(spec: &Spec, mut out: impl Write) -> Result<(), ServiceError> {
    let study = spec.protocol.study.code.get_ref();
    let mut s = format!(
        "* Loads the trialdesk export of study {study} (long.csv, in this folder) with labels.\n\
         * Coded text columns are encoded to numbers carrying value labels.\n\
         import delimited using \"long.csv\", clear varnames(1) case(preserve) stringcols(_all) encoding(utf-8)\n"
    );
    for v in spec.long_variables() {
        let name = stata_name(&v.name);
        if v.kind == Kind::Integer {
            s.push_str(&format!("destring {name}, replace\n"));
        }
        if !v.values.is_empty() && v.kind == Kind::Text {
            // encode numbers the codes in the order the label lists them.
            s.push_str(&format!("label define {name}_lbl"));
            for (i, (code, _)) in v.values.iter().enumerate() {
                s.push_str(&format!(" {} {}", i + 1, quoted(code)));
            }
            s.push_str(", replace\n");
            s.push_str(&format!(
                "encode {name}, generate({name}_n) label({name}_lbl)\ndrop {name}\nrename {name}_n {name}\n"
            ));
            s.push_str(&format!("label define {name}_lbl"));
            for (i, (_, label)) in v.values.iter().enumerate() {
                s.push_str(&format!(" {} {}", i + 1, quoted(label)));
            }
            s.push_str(", modify\n");
        } else if !v.values.is_empty() {
            s.push_str(&format!("label define {name}_lbl"));
            for (code, label) in &v.values {
                s.push_str(&format!(" {code} {}", quoted(label)));
            }
            s.push_str(&format!(", replace\nlabel values {name} {name}_lbl\n"));
        }
        s.push_str(&format!(
            "label variable {name} {}\n",
            quoted(&v.label.chars().take(80).collect::<String>())
        ));
    }
    s.push_str("compress\n");
    out.write_all(s.as_bytes()).map_err(io)
}
