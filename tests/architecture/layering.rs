//! The import graph of `src/`: no cycle between files, none between capability folders.
//!
//! A file depends on the file that *defines* what it names: `crate::a::b::Item`, `super::Item`,
//! `self::child::Item` and `use child::Item` are followed through `pub use` re-exports to the file
//! where `Item` is written. Edge files (routes, pages, the web shell, start-up and the CLI, see
//! `docs/ARCHITECTURE.md`) sit above everything and are left out. Test modules at the end of a file
//! (`#[cfg(test)]`) are left out too: they may reach for fixtures anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::source::{SourceFile, is_edge, read_tree};

/// A module path (`["groups", "formation"]`) → the file that holds it.
struct Tree {
    files: Vec<SourceFile>,
    by_module: BTreeMap<Vec<String>, usize>,
}

impl Tree {
    fn new(files: Vec<SourceFile>) -> Self {
        let by_module = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        Self { files, by_module }
    }

    /// The file that defines the item at `path` (absolute, without `crate`), following re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Option<usize> {
        let n = (1..=path.len()).rev().find(|n| self.by_module.contains_key(&path[..*n]))?;
        let file = self.by_module[&path[..n]];
        let Some(item) = path.get(n) else { return Some(file) };
        if depth > 8 || defines(&self.files[file].code, item) {
            return Some(file);
        }
        let here = &self.files[file];
        for export in &here.reexports {
            let target = absolute(&here.module, &export.path);
            if export.name.as_deref() == Some(item.as_str()) {
                return self.resolve(&[target, path[n + 1..].to_vec()].concat(), depth + 1);
            }
            if export.name.is_none() {
                let mut candidate = target.clone();
                candidate.push(item.clone());
                if let Some(found) = self.resolve(&[candidate, path[n + 1..].to_vec()].concat(), depth + 1)
                    && self.files[found].module != here.module
                    && (self.files[found].module.last() == Some(item)
                        || defines(&self.files[found].code, item))
                {
                    return Some(found);
                }
            }
        }
        Some(file)
    }

    /// File → the files it depends on (itself excluded).
    fn edges(&self) -> Vec<BTreeSet<usize>> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.references
                    .iter()
                    .filter_map(|r| self.resolve(&absolute(&f.module, r), 0))
                    .filter(|j| *j != i)
                    .collect()
            })
            .collect()
    }
}

/// Whether `code` itself defines `name` (not merely re-exports it).
fn defines(code: &str, name: &str) -> bool {
    ["fn", "struct", "enum", "type", "const", "static", "trait", "union", "macro_rules!"].iter().any(|kw| {
        code.match_indices(&format!("{kw} {name}")).any(|(i, m)| {
            let after = code[i + m.len()..].chars().next();
            let before = code[..i].chars().last();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// A path as written in `module` (`crate::…`, `super::…`, `self::…` or a child) made absolute.
fn absolute(module: &[String], path: &[String]) -> Vec<String> {
    // In `a/b.rs` (module a::b), `super` is `a`; in `a/b/mod.rs` (also module a::b), too.
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => return path[1..].to_vec(),
        Some("self") => rest = &path[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    base.extend(rest.iter().cloned());
    base
}

/// Strongly connected components with more than one member (Tarjan), each as sorted names.
pub fn cycles(nodes: &[String], edges: &[BTreeSet<usize>]) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in s.edges[v].iter() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let n = nodes.len();
    let mut s = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.found
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c.into_iter().map(|i| nodes[i].clone()).collect();
            names.sort();
            names
        })
        .collect()
}

/// The capability a file belongs to: its top folder, or the file itself at the top.
fn capability(relative: &str) -> String {
    relative.split('/').next().unwrap_or(relative).trim_end_matches(".rs").to_string()
}

/// What the tree's import graph breaks: cycles between files, then between capability folders,
/// each with the file-level arrows that make it.
pub fn problems(root: &Path) -> Vec<String> {
    let tree = Tree::new(read_tree(root));
    let all_edges = tree.edges();
    let service: Vec<usize> = (0..tree.files.len()).filter(|i| !is_edge(&tree.files[*i].relative)).collect();
    let position: BTreeMap<usize, usize> = service.iter().enumerate().map(|(k, i)| (*i, k)).collect();
    let names: Vec<String> = service.iter().map(|i| tree.files[*i].relative.clone()).collect();
    let edges: Vec<BTreeSet<usize>> = service
        .iter()
        .map(|i| all_edges[*i].iter().filter_map(|j| position.get(j).copied()).collect())
        .collect();
    let mut out: Vec<String> = cycles(&names, &edges)
        .into_iter()
        .map(|c| format!("import cycle between files: {}", c.join(", ")))
        .collect();

    let folders: Vec<String> =
        names.iter().map(|n| capability(n)).collect::<BTreeSet<_>>().into_iter().collect();
    let folder_index: BTreeMap<&str, usize> =
        folders.iter().enumerate().map(|(i, f)| (f.as_str(), i)).collect();
    let mut folder_edges = vec![BTreeSet::new(); folders.len()];
    let mut witnesses: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for (a, targets) in edges.iter().enumerate() {
        let fa = folder_index[capability(&names[a]).as_str()];
        for &b in targets {
            let fb = folder_index[capability(&names[b]).as_str()];
            if fa != fb {
                folder_edges[fa].insert(fb);
                witnesses.entry((fa, fb)).or_default().push(format!("{} -> {}", names[a], names[b]));
            }
        }
    }
    for cycle in cycles(&folders, &folder_edges) {
        let members: BTreeSet<usize> = cycle.iter().map(|f| folder_index[f.as_str()]).collect();
        let arrows: Vec<String> = witnesses
            .iter()
            .filter(|((a, b), _)| members.contains(a) && members.contains(b))
            .flat_map(|(_, w)| w.iter().cloned())
            .collect();
        out.push(format!("import cycle between capabilities {}: {}", cycle.join(", "), arrows.join("; ")));
    }
    out
}

#[test]
fn no_import_cycle_between_source_files_or_capability_folders() {
    let problems = problems(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_new_cycle_between_two_files_or_two_folders_is_caught() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("folders");
        std::fs::write(p, text).expect("write");
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write("a/mod.rs", "pub mod one;\npub mod two;\npub use one::Thing;\n");
    // Within `a`: one → two → one, once through a re-export of the parent.
    write("a/one.rs", "use super::two::helper;\npub struct Thing;\n");
    write("a/two.rs", "pub fn helper() { let _ = crate::a::Thing; }\n");
    // Between folders: b → a (fine alone), and a → b closes the loop.
    write("b/mod.rs", "use crate::a::two::helper;\npub fn other() {}\n");
    let found = problems(dir.path());
    assert!(
        found.iter().any(|p| p.contains("between files") && p.contains("a/one.rs") && p.contains("a/two.rs"))
    );
    assert!(!found.iter().any(|p| p.contains("between capabilities")), "{found:?}");

    write("a/two.rs", "pub fn helper() { crate::b::other(); }\n");
    write("a/one.rs", "pub struct Thing;\n");
    let found = problems(dir.path());
    assert!(found.iter().any(|p| p.contains("between capabilities a, b")), "{found:?}");

    // An edge file may use anything: routes are above the services they call.
    write("a/two.rs", "pub fn helper() {}\n");
    write("b/routes.rs", "use crate::a::Thing;\n");
    write("a/one.rs", "pub struct Thing;\npub fn f() { let _ = crate::b::routes::x; }\n");
    assert!(problems(dir.path()).is_empty());
}

/// The capabilities in the order `docs/ARCHITECTURE.md` writes down, lowest first.
fn documented_order() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md"))
        .expect("docs/ARCHITECTURE.md");
    let line = doc
        .lines()
        .find(|l| l.starts_with("Order, lowest first:"))
        .expect("the order line in ARCHITECTURE.md");
    line.split('`').skip(1).step_by(2).map(String::from).collect()
}

#[test]
fn every_capability_uses_only_those_below_it_in_the_documented_order() {
    let tree = Tree::new(read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
    let order = documented_order();
    let rank = |c: &str| order.iter().position(|o| o == c);
    let edges = tree.edges();
    let mut wrong = BTreeSet::new();
    for (i, targets) in edges.iter().enumerate() {
        let from = &tree.files[i].relative;
        if is_edge(from) {
            continue;
        }
        let a = capability(from);
        for j in targets.iter().filter(|j| !is_edge(&tree.files[**j].relative)) {
            let to = &tree.files[*j].relative;
            let b = capability(to);
            match (rank(&a), rank(&b)) {
                (None, _) => wrong.insert(format!("{a} is not in the documented order")),
                (_, None) => wrong.insert(format!("{b} is not in the documented order")),
                (Some(x), Some(y)) if x < y => wrong.insert(format!("{from} -> {to}: {a} is below {b}")),
                _ => false,
            };
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.into_iter().collect::<Vec<_>>().join("\n"));
}
