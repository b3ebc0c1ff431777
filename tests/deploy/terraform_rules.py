"""Rules the Terraform module in deploy/terraform keeps, checked without a terraform binary.

Every rule is a function from parsed files (python-hcl2) or text to a list of problems, one
string each, naming the file (and line when it can be found). An empty list means the rule
holds. test_terraform.py runs them on the real tree and on small inline snippets, so that
each rule is seen failing as well as passing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import hcl2

# Arguments of a module block that are Terraform's, not the module's variables.
MODULE_META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
VAR_REFERENCE = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)")
TEMPLATE_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


@dataclass
class TfFile:
    """One parsed .tf file: its path, its text (for line numbers) and python-hcl2's tree."""

    path: str
    text: str
    tree: dict


def parse_text(path: str, text: str) -> TfFile:
    try:
        tree = hcl2.loads(text)
    except Exception as error:  # python-hcl2 raises lark errors of several kinds
        raise ValueError(f"{path}: not valid HCL: {error}") from error
    return TfFile(path, text, tree)


def parse_dir(directory: Path) -> list[TfFile]:
    """The .tf files of one module (not of its subfolders), sorted by name."""
    return [parse_text(str(p), p.read_text()) for p in sorted(directory.glob("*.tf"))]


def unquote(value):
    """python-hcl2 keeps string literals quoted ('"x"'); names and literals without them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def line_of(file: TfFile, needle: str) -> str:
    """`path:line` of the first line containing needle, else just the path."""
    for number, line in enumerate(file.text.splitlines(), start=1):
        if needle in line:
            return f"{file.path}:{number}"
    return file.path


def blocks(file: TfFile, kind: str):
    """(name, body) of every `kind "name" { ... }` block (variable, output, module)."""
    for entry in file.tree.get(kind, []):
        for name, body in entry.items():
            yield unquote(name), body


def strings_in(node, skip_keys=()):
    """Every string (values and keys) anywhere in a parsed tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in skip_keys:
                continue
            yield key
            yield from strings_in(value, skip_keys)
    elif isinstance(node, list):
        for item in node:
            yield from strings_in(item, skip_keys)


def variable_header(name: str) -> str:
    return 'variable "' + name + '"'


def output_header(name: str) -> str:
    return 'output "' + name + '"'


def variables(files: list[TfFile]) -> dict[str, tuple[TfFile, dict]]:
    return {name: (f, body) for f in files for name, body in blocks(f, "variable")}


# --- Rules --------------------------------------------------------------------------------


def variables_documented(files: list[TfFile]) -> list[str]:
    """Every variable has a non-empty description and a type."""
    problems = []
    for name, (f, body) in variables(files).items():
        where = line_of(f, f'variable "{name}"')
        if not unquote(body.get("description") or "").strip():
            problems.append(f"{where}: variable {name} has no description")
        if "type" not in body:
            problems.append(f"{where}: variable {name} has no type")
    return problems


def variables_used(files: list[TfFile]) -> list[str]:
    """Every variable is referenced (var.name) somewhere in the module outside its own block
    (its validation referring to itself does not count)."""
    used = set()
    for f in files:
        rest = {kind: value for kind, value in f.tree.items() if kind != "variable"}
        for text in strings_in(rest):
            used.update(VAR_REFERENCE.findall(text))
    return [
        f"{line_of(f, variable_header(name))}: variable {name} is declared but never used (no var.{name})"
        for name, (f, _) in variables(files).items()
        if name not in used
    ]


def variables_referenced_exist(files: list[TfFile]) -> list[str]:
    """No var.x without a `variable "x"` (terraform validate would catch it; we have none)."""
    declared = set(variables(files))
    problems = []
    for f in files:
        for text in strings_in(f.tree):
            for name in VAR_REFERENCE.findall(text):
                if name not in declared:
                    problems.append(f"{line_of(f, f'var.{name}')}: var.{name} is not a declared variable")
    return sorted(set(problems))


def outputs_documented(files: list[TfFile]) -> list[str]:
    return [
        f"{line_of(f, output_header(name))}: output {name} has no description"
        for f in files
        for name, body in blocks(f, "output")
        if not unquote(body.get("description") or "").strip()
    ]


def example_passes_variables(module: list[TfFile], example: list[TfFile], module_source: str) -> list[str]:
    """Each module block of the example whose source is module_source passes every required
    variable (no default) and nothing the module does not declare."""
    declared = variables(module)
    required = {name for name, (_, body) in declared.items() if "default" not in body}
    problems = []
    found = False
    for f in example:
        for name, body in blocks(f, "module"):
            if unquote(body.get("source")) != module_source:
                continue
            found = True
            where = line_of(f, f'module "{name}"')
            passed = {key for key in body if key not in MODULE_META_ARGUMENTS and not key.startswith("__")}
            for missing in sorted(required - passed):
                problems.append(f"{where}: module {name} does not pass the required variable {missing}")
            for unknown in sorted(passed - set(declared)):
                problems.append(f"{where}: module {name} passes {unknown}, which the module does not declare")
    if not found:
        problems.append(f"no module block with source = \"{module_source}\" in {[f.path for f in example]}")
    return problems


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split at separators outside brackets, parentheses, braces and strings."""
    parts, depth, current, in_string, i = [], 0, [], False, 0
    while i < len(text):
        ch = text[i]
        if in_string:
            current.append(ch)
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            current.append(ch)
        elif ch == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def templatefile_calls(text: str) -> list[tuple[str, str]]:
    """(path argument, variables argument) of every templatefile(...) call in an expression."""
    calls = []
    for match in re.finditer(r"\btemplatefile\(", text):
        depth, start, in_string = 1, match.end(), False
        i = start
        while i < len(text) and depth:
            ch = text[i]
            if in_string:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            i += 1
        arguments = split_top_level(text[start : i - 1])
        calls.append((arguments[0] if arguments else "", arguments[1] if len(arguments) > 1 else ""))
    return calls


def object_keys(expression: str) -> set[str] | None:
    """Keys of an HCL object literal `{a = 1, b = x}`; None when it is not a literal."""
    expression = expression.strip()
    if not (expression.startswith("{") and expression.endswith("}")):
        return None
    keys = set()
    for item in split_top_level(expression[1:-1]):
        key = split_top_level(item, "=")[0] if "=" in item else item
        keys.add(unquote(key.strip()))
    return keys


def template_identifiers(template: str) -> tuple[set[str], list[str]]:
    """The ${identifier}s of a template, and problems with anything else in it (the
    interface with deploy/iam allows plain identifiers only, no directives or calls)."""
    names, problems = set(), []
    for inner in TEMPLATE_INTERPOLATION.findall(template):
        if IDENTIFIER.match(inner.strip()):
            names.add(inner.strip())
        else:
            problems.append(f"${{{inner}}} is not a plain identifier")
    if "%{" in template:
        problems.append("%{...} directives are not allowed")
    return names, problems


def templatefile_keys_match(files: list[TfFile], module_dir: Path) -> list[str]:
    """Each templatefile() call passes exactly the identifiers its template uses."""
    problems = []
    for f in files:
        for text in strings_in(f.tree):
            for path_argument, vars_argument in templatefile_calls(text):
                path_text = unquote(path_argument.strip())
                path = Path(path_text.replace("${path.module}", str(module_dir)))
                where = line_of(f, path_text.replace("${path.module}", "").lstrip("/")) if path_text else f.path
                if "${" in path_text.replace("${path.module}", ""):
                    problems.append(f"{where}: templatefile path {path_text} is not a fixed file")
                    continue
                if not path.is_file():
                    problems.append(f"{where}: templatefile {path_text}: no such file ({path})")
                    continue
                passed = object_keys(vars_argument)
                if passed is None:
                    problems.append(f"{where}: templatefile {path_text}: the variables are not an object literal")
                    continue
                used, template_problems = template_identifiers(path.read_text())
                problems += [f"{path}: {p}" for p in template_problems]
                for name in sorted(used - passed):
                    problems.append(f"{where}: templatefile {path.name} uses ${{{name}}}, which the call does not pass")
                for name in sorted(passed - used):
                    problems.append(f"{where}: templatefile {path.name} is passed {name}, which it never uses")
    return problems


FENCE = re.compile(r"```.*?```", re.S)
FENCED_HCL = re.compile(r"```(?:hcl|terraform|tf)\n(.*?)```", re.S)
TABLE_ROW_NAME = re.compile(r"^\|\s*`([A-Za-z_][A-Za-z0-9_-]*)`\s*\|", re.M)


def docs_mention_known_variables(doc_path: str, text: str, declared: set[str], module_sources: set[str]) -> list[str]:
    """A document names only variables the module has: every `var.x` in its prose, and every argument of
    a module block (in ```hcl fences) whose source contains one of module_sources."""
    problems = []
    # var.x inside code blocks is the reader's own root module (var.private_subnet_ids):
    # only prose names the module's variables that way. Blanked, so line numbers stay.
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for number, line in enumerate(prose.splitlines(), start=1):
        for name in VAR_REFERENCE.findall(line):
            if name not in declared:
                problems.append(f"{doc_path}:{number}: var.{name} is not a variable of the module")
    for fence in FENCED_HCL.finditer(text):
        line = text[: fence.start()].count("\n") + 2
        try:
            tree = hcl2.loads(fence.group(1))
        except Exception:
            # Snippets with `...` are not meant to parse; only whole blocks are checked.
            continue
        snippet = TfFile(f"{doc_path}:{line}", fence.group(1), tree)
        for name, body in blocks(snippet, "module"):
            source = unquote(body.get("source"))
            if not any(s in source for s in module_sources):
                continue
            for key in body:
                if key in MODULE_META_ARGUMENTS or key.startswith("__") or key in declared:
                    continue
                problems.append(f"{doc_path}:{line}: module {name} passes {key}, which is not a variable of the module")
    return problems


def readme_lists_variables(readme_path: str, text: str, declared: set[str]) -> list[str]:
    """The module README's variables table (rows starting with | `name` |) lists every
    variable, and nothing else, so that it cannot drift from variables.tf."""
    listed = set(TABLE_ROW_NAME.findall(text.split("## Outputs")[0]))
    problems = [f"{readme_path}: variable {name} is missing from the variables table" for name in sorted(declared - listed)]
    problems += [f"{readme_path}: the variables table lists {name}, which is not a variable" for name in sorted(listed - declared)]
    return problems
