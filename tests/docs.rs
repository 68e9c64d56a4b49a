//! Docs stop drifting: they link only to files that exist, docs/ARCHITECTURE.md names every
//! source file, and the README stays short enough to read in ten minutes. Nothing here counts
//! routes or files on the docs' behalf; the docs name things, and these tests check the names.
//! Standard library only, no model and no network, so it runs first and fast.

use std::fs;
use std::path::{Path, PathBuf};

/// The README's length limit, in lines.
const README_MAX_LINES: usize = 250;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The Markdown files whose links are checked: README.md, every docs/*.md, and the READMEs
/// of models/ and data/ where they exist.
fn markdown_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    let docs = root.join("docs");
    let mut in_docs: Vec<PathBuf> = fs::read_dir(&docs)
        .unwrap_or_else(|e| panic!("reading {}: {e}", docs.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    in_docs.sort();
    files.extend(in_docs);
    for extra in [
        "models/README.md",
        "data/README.md",
        "data/realworld-judged/README.md",
    ] {
        let path = root.join(extra);
        if path.is_file() {
            files.push(path);
        }
    }
    files
}

/// The text of a Markdown file without its code: fenced blocks are dropped and inline code
/// spans (between backticks, which may run over a line break) are blanked, so that `](` in an
/// example is not taken for a link.
fn prose(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut in_fence = false;
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            in_code = false;
            out.push('\n');
            continue;
        }
        if in_fence {
            out.push('\n');
            continue;
        }
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                out.push(' ');
            } else if in_code {
                out.push(' ');
            } else {
                out.push(c);
            }
        }
        // A blank line ends a paragraph, and an unclosed backtick with it.
        if line.trim().is_empty() {
            in_code = false;
        }
        out.push('\n');
    }
    out
}

/// The targets of the Markdown links and images in `markdown`: what stands between `](` and
/// the closing `)` (or the space before a link title).
fn link_targets(markdown: &str) -> Vec<String> {
    let text = prose(markdown);
    let mut targets = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| c == ')' || c.is_whitespace())
            .unwrap_or(after.len());
        targets.push(after[..end].to_string());
        rest = &after[end..];
    }
    targets
}

/// Whether a link target points into this repository (not a web address, mail or anchor).
fn is_relative(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    !(target.is_empty()
        || target.starts_with('#')
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:"))
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let root = root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let folder = file.parent().unwrap_or(&root).to_path_buf();
        for target in link_targets(&read(&file)) {
            if !is_relative(&target) {
                continue;
            }
            let path_part = target.split('#').next().unwrap_or("");
            if path_part.is_empty() {
                continue;
            }
            let resolved = match path_part.strip_prefix('/') {
                Some(from_root) => root.join(from_root),
                None => folder.join(path_part),
            };
            checked += 1;
            if !resolved.exists() {
                let shown = file.strip_prefix(&root).unwrap_or(&file);
                broken.push(format!("{}: ({target})", shown.display()));
            }
        }
    }
    assert!(
        checked > 0,
        "no relative links found: the link reader is broken"
    );
    assert!(
        broken.is_empty(),
        "{} relative link(s) point at nothing:\n  {}",
        broken.len(),
        broken.join("\n  ")
    );
}

/// Every `.rs` file under `dir`, recursively, as paths relative to `base` with `/` between
/// the parts.
fn rust_files(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, base, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, relative));
        }
    }
}

/// Whether `needle` occurs in `text` at the start of a name: not right after a letter, digit
/// or underscore (so `qgemm.rs` does not count as a mention of `gemm.rs`).
fn mentions(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

#[test]
fn the_architecture_names_every_source_file() {
    let root = root();
    let architecture = read(&root.join("docs/ARCHITECTURE.md"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &src, &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no .rs files found under {}",
        src.display()
    );
    let missing: Vec<&str> = files
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "mod.rs" | "lib.rs" | "main.rs"))
        .filter(|(name, relative)| {
            !mentions(&architecture, name) && !mentions(&architecture, relative)
        })
        .map(|(_, relative)| relative.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md does not name {} source file(s) (add each with a few words on \
         its job):\n  src/{}",
        missing.len(),
        missing.join("\n  src/")
    );
}

#[test]
fn the_readme_stays_short() {
    let readme = read(&root().join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move reference and results \
         into docs/ and link them"
    );
    assert!(
        readme
            .lines()
            .any(|line| line.trim_start().starts_with("scripts/test.sh")),
        "README.md has no line starting with the test command `scripts/test.sh` (CI runs it)"
    );
}
