//! Which files a worker is made of: its main module and, transitively, every
//! module it imports by a relative specifier (`./x.js`, `../build/index.js`).
//! Bare specifiers (`cloudflare:workers`, `node:buffer`) are workerd's own.

use std::path::{Component, Path, PathBuf};

use crate::Error;

/// (name, file) for `main` and what it imports, `main` first. Names are
/// paths from `project_dir` with `/`, which is what workerd resolves relative
/// imports against.
pub(crate) fn collect(
    project_dir: &Path,
    main: &Path,
    build_command: Option<&str>,
) -> Result<Vec<(String, PathBuf)>, Error> {
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
        if !name.ends_with(".wasm") {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| Error::Io(format!("reading {}", file.display()), e))?;
            let dir = relative.parent().unwrap_or(Path::new(""));
            for specifier in relative_imports(&source) {
                queue.push((normalize(&dir.join(specifier)), Some(file.clone())));
            }
        }
        names.push(name.clone());
        modules.push((name, file));
    }
    Ok(modules)
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

/// The relative specifiers of `import … from "…"`, `import "…"`,
/// `export … from "…"` and `import("…")` in a module, minified or not.
/// Comments and template literals are skipped, so a quote in a comment
/// ("the glue's") does not throw the scan off.
fn relative_imports(source: &str) -> Vec<&str> {
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
                let imports = ["from", "import", "import("]
                    .iter()
                    .any(|keyword| before.ends_with(keyword));
                if quote != b'`'
                    && imports
                    && (literal.starts_with("./") || literal.starts_with("../"))
                {
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
    fn finds_relative_imports_in_plain_and_minified_modules() {
        let source = r#"// the glue's "own" 'quotes' in a comment
/* and "in" a block's comment */ import * as wasm from "../build/index.js";
const t = `a template's "quote"`;
import'./side.js';export{a}from"./a.mjs";const m=await import("./lazy.js");
import x from "cloudflare:workers"; const s = "./not-an-import.js";
import source mod from "./index_bg.wasm";"#;
        assert_eq!(
            relative_imports(source),
            [
                "../build/index.js",
                "./side.js",
                "./a.mjs",
                "./lazy.js",
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
