//! Reading `src/` as the architecture tests see it: each file's module path, its code without
//! comments, string contents or test module, and the paths it names.

use std::collections::BTreeMap;
use std::path::Path;

/// One source file.
pub struct SourceFile {
    /// Path under `src/`, with `/` separators: `groups/formation.rs`.
    pub relative: String,
    /// Its module path without `crate`: `["groups", "formation"]`; `lib.rs` is `[]`.
    pub module: Vec<String>,
    /// The code with comments and the contents of string literals blanked, test module cut off.
    pub code: String,
    /// The whole text as written (for line counts and literal searches).
    pub text: String,
    /// Paths the file names (as written: `crate::…`, `super::…`, `self::…` or a child module).
    pub references: Vec<Vec<String>>,
    /// `pub use` re-exports: the path and the name it is exported under (`None` for a glob).
    pub reexports: Vec<Reexport>,
}

pub struct Reexport {
    pub path: Vec<String>,
    pub name: Option<String>,
}

/// Edge files: they turn HTTP, HTML and the command line into service calls and back, and may
/// use anything (`docs/ARCHITECTURE.md`, "Edge and services").
pub fn is_edge(relative: &str) -> bool {
    const TOP: [&str; 10] = [
        "main.rs",
        "lib.rs",
        "cli.rs",
        "commands.rs",
        "startup.rs",
        "state.rs",
        "api.rs",
        "error.rs",
        "json.rs",
        "paging.rs",
    ];
    TOP.contains(&relative)
        || relative == "telemetry.rs"
        || relative == "auth/extract.rs"
        || relative.starts_with("web/")
        || relative.ends_with("/routes.rs")
        || relative.contains("/routes/")
        || relative.ends_with("/pages.rs")
        || relative.contains("/pages/")
}

/// Every `.rs` file under `root`, parsed.
pub fn read_tree(root: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    collect(root, &mut paths);
    paths.sort();
    let mut files: Vec<SourceFile> = paths
        .iter()
        .map(|p| {
            let relative = p.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(p).expect("readable source");
            parse(relative, text)
        })
        .collect();
    // A bare first segment names a child module only if that child exists; otherwise it is an
    // external crate (`std`, `diesel`) and is not ours to follow.
    let modules: std::collections::BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    for f in &mut files {
        let module = f.module.clone();
        let is_child = |first: &str| {
            let mut m = module.clone();
            m.push(first.to_string());
            modules.contains(&m)
        };
        f.references.retain(|r| matches!(r[0].as_str(), "crate" | "self" | "super") || is_child(&r[0]));
        for r in &mut f.references {
            if !matches!(r[0].as_str(), "crate" | "self" | "super") {
                r.insert(0, "self".into());
            }
        }
        for e in &mut f.reexports {
            if !matches!(e.path[0].as_str(), "crate" | "self" | "super") {
                e.path.insert(0, "self".into());
            }
        }
    }
    files
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn parse(relative: String, text: String) -> SourceFile {
    let mut code = blank_comments_and_strings(&text);
    if let Some(cut) = test_module_start(&code) {
        code.truncate(cut);
    }
    let mut references = Vec::new();
    let mut reexports = Vec::new();
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rest = String::with_capacity(code.len());
    let mut i = 0;
    while let Some(found) = find_use(&code[i..]) {
        let (start, is_pub, tree_start) = (i + found.0, found.1, i + found.2);
        let end = code[tree_start..].find(';').map_or(code.len(), |e| tree_start + e);
        rest.push_str(&code[i..start]);
        for (path, alias) in expand(&code[tree_start..end]) {
            if path.last().map(String::as_str) == Some("*") {
                let prefix = path[..path.len() - 1].to_vec();
                if is_pub {
                    reexports.push(Reexport { path: prefix, name: None });
                } else {
                    references.push(prefix);
                }
                continue;
            }
            let name = alias.unwrap_or_else(|| path.last().cloned().unwrap_or_default());
            if is_pub {
                reexports.push(Reexport { path: path.clone(), name: Some(name.clone()) });
            } else {
                references.push(path.clone());
            }
            aliases.insert(name, path);
        }
        i = end;
    }
    rest.push_str(&code[i..]);
    for path in paths_in(&rest) {
        if matches!(path[0].as_str(), "crate" | "self" | "super") {
            references.push(path);
        } else if let Some(full) = aliases.get(&path[0]) {
            references.push([full.clone(), path[1..].to_vec()].concat());
        }
    }
    SourceFile { module: module_of(&relative), relative, code, text, references, reexports }
}

/// Where the file's `#[cfg(test)] mod … {` starts, if it has one.
fn test_module_start(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]") {
        let start = from + at;
        let after = code[start + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod ")
            && after.split(['{', ';']).next().is_some_and(|_| {
                let head: String = after.chars().take_while(|c| *c != '{' && *c != ';').collect();
                after[head.len()..].starts_with('{')
            })
        {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// The next `use` statement: (its start, whether it re-exports, where its tree starts).
fn find_use(code: &str) -> Option<(usize, bool, usize)> {
    let mut from = 0;
    while let Some(at) = code[from..].find("use ") {
        let start = from + at;
        let before = code[..start].trim_end_matches([' ', '\t']);
        let (is_pub, stmt_start) = match before.rsplit_once(['\n', ';', '{', '}']) {
            Some((head, vis)) => (vis.trim().starts_with("pub"), head.len() + 1),
            None => (before.trim().starts_with("pub"), 0),
        };
        let vis = before[stmt_start.min(before.len())..].trim();
        let at_statement = vis.is_empty() || vis.starts_with("pub");
        let word_start = start == 0 || !code[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if at_statement && word_start {
            return Some((stmt_start.min(start), is_pub, start + 4));
        }
        from = start + 4;
    }
    None
}

/// `a::{b, c::{d as e, self}, *}` → `[a,b]`, `[a,c,d]` (alias e), `[a,c]`, `[a,*]`.
fn expand(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace() || *c == ' ').collect();
    let mut out = Vec::new();
    expand_into(tree.trim(), &[], &mut out);
    out
}

fn expand_into(tree: &str, prefix: &[String], out: &mut Vec<(Vec<String>, Option<String>)>) {
    let tree = tree.trim().trim_start_matches("::");
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> =
            tree[..open].split("::").map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = [prefix.to_vec(), head].concat();
        for part in split_top(inner) {
            if part.trim() == "self" {
                let alias = None;
                out.push((base.clone(), alias));
            } else {
                expand_into(part, &base, out);
            }
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p, Some(a.trim().to_string())),
        None => (tree, None),
    };
    let segs: Vec<String> =
        path.split("::").map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    if segs.last().map(String::as_str) == Some("self") {
        out.push(([prefix.to_vec(), segs[..segs.len() - 1].to_vec()].concat(), alias));
    } else {
        out.push(([prefix.to_vec(), segs].concat(), alias.filter(|a| a != "_")));
    }
}

/// Splits `a, b::{c, d}, e` at the commas outside braces.
fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Every `a::b::c` path in code, as segments (a path must contain `::`).
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        if ident(bytes[i]) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            let mut segs = Vec::new();
            let mut j = i;
            loop {
                let s = j;
                while j < bytes.len() && ident(bytes[j]) {
                    j += 1;
                }
                if s == j {
                    break;
                }
                segs.push(code[s..j].to_string());
                if code[j..].starts_with("::")
                    && code[j + 2..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                out.push(segs);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The text with `//` and `/* */` comments and the contents of string and char literals replaced
/// by spaces (lines kept), so that words in them are not taken for code.
pub fn blank_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Blanks keep byte offsets: a character becomes as many spaces as it has bytes.
    let blank = |c: char| if c == '\n' { "\n".to_string() } else { " ".repeat(c.len_utf8()) };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push_str(&blank(chars[i]));
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                out.push_str(&blank(chars[i]));
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&chars, i) {
            // Raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.extend(std::iter::repeat_n(' ', 1 + hashes));
            out.push('"');
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    break;
                }
                out.push_str(&blank(chars[j]));
                j += 1;
            }
            out.push('"');
            out.extend(std::iter::repeat_n(' ', hashes));
            i = j + 1 + hashes;
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push_str(&blank(chars[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('a', '\n', '\''); a lifetime ('a) has no closing quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\\') {
                j += 1;
            }
            j += 1;
            while j < chars.len() && chars[j] != '\'' {
                j += 1;
            }
            out.push('\'');
            chars[i + 1..j].iter().for_each(|c| out.push_str(&blank(*c)));
            out.push('\'');
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The string literals written in `code` (a blanked file, see `SourceFile::code`) as they are in
/// `text`: line number, byte offset of the opening quote, contents.
pub fn string_literals(code: &str, text: &str) -> Vec<(usize, usize, String)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            line += 1;
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != b'"' {
                j += 1;
            }
            let literal = text.get(start..j).unwrap_or_default().to_string();
            out.push((line, i, literal.clone()));
            line += literal.matches('\n').count();
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}
