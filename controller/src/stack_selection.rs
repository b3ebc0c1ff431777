//! `--stack NAME` (repeatable) on `validate` and `schedule`, which filter the loaded
//! desired state, and the check every command makes of the names (`plan` and `apply`
//! select inside the pass: `PassOptions::only_stacks`).

use std::process::ExitCode;

/// `--stack NAME…`: every name must be a stack of the desired state. An unknown one is a
/// usage error that lists the stacks found (with the nearest as a suggestion), not a
/// selection of nothing that would pass as "no changes".
pub fn check(desired: &desired_state::DesiredState, names: &[String]) -> Result<(), ExitCode> {
    let declared: Vec<&str> = desired.stacks.iter().map(|s| s.name.as_str()).collect();
    let unknown: Vec<&String> = names
        .iter()
        .filter(|name| !declared.contains(&name.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    for name in unknown {
        let hint = desired_state::closest(name, declared.iter().copied())
            .map(|near| format!(" (did you mean `{near}`?)"))
            .unwrap_or_default();
        eprintln!("error: --stack {name}: no such stack in the desired state{hint}");
    }
    let list: Vec<String> = declared.iter().map(|n| format!("`{n}`")).collect();
    eprintln!("the desired state declares: {}", list.join(", "));
    Err(ExitCode::from(crate::exit_code::USAGE))
}

/// The desired state with only the stacks named (all of them when none is).
pub fn only(
    mut desired: desired_state::DesiredState,
    names: &[String],
) -> desired_state::DesiredState {
    if !names.is_empty() {
        desired.stacks.retain(|stack| names.contains(&stack.name));
    }
    desired
}
