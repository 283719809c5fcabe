//! Which files a worker is made of, for bare workerd: its main module and,
//! transitively, every module it imports by a relative specifier (`./x.js`,
//! `../build/index.js`). `cloudflare:`, `node:` and `workerd:` specifiers are
//! workerd's own. Anything else (an npm package, a `.txt` or `.bin` import)
//! is for wrangler's bundler: the worker is then started with `wrangler dev`.
//!
//! A scan rather than wrangler's bundler, because bare workerd starts a
//! worker about fifty times sooner than `wrangler dev` (the crate README has
//! the figures).

use std::path::{Component, Path, PathBuf};

use crate::Error;

/// What a worker's modules are.
pub(crate) enum Graph {
    /// (name, file) for `main` and what it imports, `main` first. Names are
    /// paths from the project directory with `/`, which is what workerd
    /// resolves relative imports against.
    Modules(Vec<(String, PathBuf)>),
    /// An import only a bundler resolves: the specifier and its importer.
    NeedsBundling(String),
}

/// Module file types workerd loads as they are.
const LOADED: &[&str] = &["js", "mjs", "wasm"];
/// Specifier prefixes of workerd's built-in modules.
const BUILT_IN: &[&str] = &["cloudflare:", "node:", "workerd:"];

/// The modules of the worker whose main module is `main`.
pub(crate) fn collect(
    project_dir: &Path,
    main: &Path,
    build_command: Option<&str>,
) -> Result<Graph, Error> {
    let missing = |path: PathBuf, imported_by: Option<PathBuf>| Error::ModuleMissing {
        path,
        imported_by,
        build_command: build_command.map(str::to_owned),
    };
    let mut names: Vec<String> = Vec::new();
    let mut modules = Vec::new();
    let mut queue = vec![(normalize(main), None::<PathBuf>)];
    while let Some((relative, imported_by)) = queue.pop() {
        let name = relative
            .to_str()
            .filter(|name| !name.starts_with(".."))
            .ok_or_else(|| Error::WranglerToml {
                path: project_dir.join("wrangler.toml"),
                reason: format!(
                    "module {} is outside the project directory",
                    relative.display()
                ),
            })?
            .replace('\\', "/");
        if names.contains(&name) {
            continue;
        }
        let file = if project_dir == Path::new(".") {
            relative.clone()
        } else {
            project_dir.join(&relative)
        };
        if !file.is_file() {
            return Err(missing(file, imported_by));
        }
        let extension = relative.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !LOADED.contains(&extension) {
            return Ok(Graph::NeedsBundling(format!("the import of {name}")));
        }
        if extension != "wasm" {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| Error::Io(format!("reading {}", file.display()), e))?;
            let dir = relative.parent().unwrap_or(Path::new(""));
            for specifier in imports(&source) {
                if specifier.starts_with("./") || specifier.starts_with("../") {
                    queue.push((normalize(&dir.join(specifier)), Some(file.clone())));
                } else if !BUILT_IN.iter().any(|prefix| specifier.starts_with(prefix)) {
                    return Ok(Graph::NeedsBundling(format!(
                        "the import of \"{specifier}\" in {name}"
                    )));
                }
            }
        }
        names.push(name.clone());
        modules.push((name, file));
    }
    Ok(Graph::Modules(modules))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The specifiers of `import … from "…"`, `import "…"`,
/// `export … from "…"` and `import("…")` in a module, minified or not.
/// Comments and template literals are skipped, so a quote in a comment
/// ("the glue's") does not throw the scan off.
fn imports(source: &str) -> Vec<&str> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'/', Some(b'/')) => i = skip_to(bytes, i + 2, b"\n"),
            (b'/', Some(b'*')) => i = skip_to(bytes, i + 2, b"*/"),
            (quote @ (b'"' | b'\'' | b'`'), _) => {
                let end = string_end(bytes, i + 1, quote);
                let literal = &source[i + 1..end.min(bytes.len())];
                let before = source[..i].trim_end();
                let is_import = ["from", "import", "import("]
                    .iter()
                    .any(|keyword| before.ends_with(keyword));
                if quote != b'`' && is_import {
                    found.push(literal);
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// The index just past the next `end` at or after `from`.
fn skip_to(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes[from.min(bytes.len())..]
        .windows(end.len())
        .position(|window| window == end)
        .map_or(bytes.len(), |at| from + at + end.len())
}

/// The index of the quote that closes a string opened before `from`.
fn string_end(bytes: &[u8], mut from: usize, quote: u8) -> usize {
    while from < bytes.len() && bytes[from] != quote {
        from += if bytes[from] == b'\\' { 2 } else { 1 };
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_imports_in_plain_and_minified_modules() {
        let source = r#"// the glue's "own" 'quotes' in a comment
/* and "in" a block's comment */ import * as wasm from "../build/index.js";
const t = `a template's "quote"`;
import'./side.js';export{a}from"./a.mjs";const m=await import("./lazy.js");
import x from "cloudflare:workers"; const s = "./not-an-import.js";
import source mod from "./index_bg.wasm";"#;
        assert_eq!(
            imports(source),
            [
                "../build/index.js",
                "./side.js",
                "./a.mjs",
                "./lazy.js",
                "cloudflare:workers",
                "./index_bg.wasm"
            ]
        );
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("src/../build/./index.js")),
            Path::new("build/index.js")
        );
        assert_eq!(normalize(Path::new("../x.js")), Path::new("../x.js"));
    }
}
