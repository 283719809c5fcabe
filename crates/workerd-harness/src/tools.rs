//! Where the tools a worker needs are found: workerd, wrangler, Node.

use std::path::{Path, PathBuf};

use crate::Error;

/// The file the caller named, else the one in the environment variable
/// `variable` (each exactly there, or `not_found` naming it); else
/// `relative` in `project` or the nearest directory above it that has it,
/// else the first of `also` that exists. `not_found` gets every path tried.
pub(crate) fn find(
    named: Option<&PathBuf>,
    variable: &str,
    project: &Path,
    relative: &str,
    also: Vec<PathBuf>,
    not_found: fn(Vec<PathBuf>) -> Error,
) -> Result<PathBuf, Error> {
    if let Some(path) = named
        .cloned()
        .or_else(|| std::env::var_os(variable).map(PathBuf::from))
    {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(not_found(vec![path]))
        };
    }
    let project = std::path::absolute(project).unwrap_or_else(|_| project.to_owned());
    let mut searched: Vec<PathBuf> = project.ancestors().map(|dir| dir.join(relative)).collect();
    searched.extend(also);
    match searched.iter().find(|path| path.is_file()) {
        Some(path) => Ok(path.clone()),
        None => Err(not_found(searched)),
    }
}

/// `name` in each directory of `PATH`.
pub(crate) fn on_path(name: &str) -> Vec<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .collect()
}
