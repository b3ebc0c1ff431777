#!/usr/bin/env python3
"""Finds import circles between the source files of Rust crates.

Usage: tests/arch/import_cycles.py controller/src desired-state/src

Each argument is a crate's src folder. The module tree comes from the file layout
(`lib.rs`/`main.rs`, `x.rs`, `x/mod.rs`, `x/y.rs`) plus `#[path = "f.rs"] mod m;`
declarations; inline `mod m { ... }` blocks belong to their file.

An edge A -> B means "file A names something that file B defines". It comes from:
- `use crate::…`, `use super::…`, `use self::…`, and `use child::…` where `child` is a
  child module (edition 2018 paths), including grouped trees `use super::{a::B, c::{D, E}}`;
  `pub use` re-exports are edges too, since the re-exporting file depends on its source;
- paths written in code, such as `crate::redact::endpoint(x)`, `super::STACK_TAG` or
  `validate::validate(..)` in the file that declares `mod validate;` (after comments and
  string literals are blanked out; `pub(in crate::x)` is a visibility, not a use).
`super` is relative to the module the statement is in: inside `mod tests { use super::*; }`
in file F it means F. A path is resolved by walking its segments while they name module
files; when the file reached re-exports the named item (`pub use self::a::Item`,
`pub use crate::b::{Item, ..}`; not globs), the edge follows the re-export to the file that
defines it, so `use super::Change` leads to the file that really holds `Change`, not to
the facade that forwards it (the facade's own `pub use` is still an edge).
`mod x;` declarations are not edges (a parent owning a child is not a dependency), and
an edge from a file to itself is ignored.

Why: convention 13 — vocabulary at the bottom, no import circles between files. A circle
means no file in it can be read, tested or moved without the others.

Prints every strongly connected component of more than one file with the edges inside it
(file:line -> file) and exits 1; otherwise prints one summary line per crate and exits 0.
"""

import os
import re
import sys
from collections import defaultdict

TOKEN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*|::|\S")
PATH_ATTR = re.compile(
    r'#\[path\s*=\s*"([^"]+)"\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;')
RAW_STRING = re.compile(r'b?r(#*)"')
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def blank(text):
    """Replaces comments and string/char literals with spaces, keeping line breaks."""
    out, i, n = [], 0, len(text)

    def skip(end):  # blank text[i:end], keep newlines
        out.append("".join(c if c == "\n" else " " for c in text[i:end]))
        return end

    while i < n:
        c, ident_before = text[i], i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        raw = None if ident_before else RAW_STRING.match(text, i)
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = skip(n if end < 0 else end)
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            i = skip(j)
        elif raw:
            end = text.find('"' + raw.group(1), raw.end())
            i = skip(n if end < 0 else end + 1 + len(raw.group(1)))
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = skip(j + 1)
        elif c == "'" and i + 1 < n and text[i + 1] == "\\":  # '\n', '\'', '\u{..}'
            i = skip(text.find("'", i + 3) + 1)
        elif c == "'" and i + 2 < n and text[i + 2] == "'":  # 'x'
            i = skip(i + 3)
        else:  # includes lifetimes and labels ('a)
            out.append(c)
            i += 1
    return "".join(out)


def tokens(text):
    """(token, line) pairs of blanked source."""
    result = []
    for number, line in enumerate(blank(text).split("\n"), 1):
        result.extend((t, number) for t in TOKEN.findall(line))
    return result


def parse_use_tree(toks, i, prefix, out):
    """Expands one use tree starting at toks[i] into (segments, alias) pairs; returns next i."""
    segments = list(prefix)
    while i < len(toks):
        tok = toks[i]
        if tok == "{":
            i += 1
            while toks[i] != "}":
                i = parse_use_tree(toks, i, segments, out)
                if toks[i] == ",":
                    i += 1
            return i + 1
        if tok == "*":
            out.append((segments, "*"))
            return i + 1
        if tok == "::":
            i += 1
            continue
        if tok in (",", "}", ";"):
            break
        segments.append(tok)
        i += 1
        if i < len(toks) and toks[i] == "as":
            out.append((segments, toks[i + 1]))
            return i + 2
    if segments and segments[-1] == "self":  # `a::{self, B}` names `a`
        segments = segments[:-1]
    out.append((segments, segments[-1] if segments else None))
    return i


class Crate:
    def __init__(self, src):
        self.src = os.path.normpath(src)
        self.modules = {}  # module path (tuple) -> file
        self.reexports = defaultdict(dict)  # file -> {name: (module, segments)}
        self.uses = []  # (file, line, module, segments)
        files = sorted(os.path.join(d, f) for d, _, fs in os.walk(self.src)
                       for f in fs if f.endswith(".rs"))
        self.files, texts = files, {}
        for f in files:
            with open(f, encoding="utf-8") as source:
                texts[f] = source.read()
        module_of = {f: self.layout_module(f) for f in files}
        for f in files:  # `#[path]` moves a file under the module that declares it
            for target, name in PATH_ATTR.findall(texts[f]):
                module_of[os.path.normpath(os.path.join(os.path.dirname(f), target))] = \
                    module_of[f] + (name,)
        for f in reversed(files):  # lib.rs wins over main.rs for the crate root
            self.modules[module_of[f]] = f
        for f in files:
            self.scan(f, texts[f], module_of[f])
        self.edges = defaultdict(list)  # (from, to) -> [line, ...]
        for f, line, module, segments in self.uses:
            target = self.resolve(module, segments, set())
            if target and target != f:
                self.edges[(f, target)].append(line)

    def layout_module(self, f):
        parts = os.path.relpath(f, self.src)[:-3].split(os.sep)
        if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
            parts = parts[:-1]
        return tuple(parts)

    def scan(self, f, text, file_module):
        toks = tokens(text)
        words = [t for t, _ in toks]
        inline, depth, i = [], 0, 0  # inline: [(name, depth at its `{`)]
        while i < len(toks):
            tok, line = toks[i]
            module = file_module + tuple(name for name, _ in inline)
            if tok == "mod" and i + 2 < len(toks) and words[i + 2] == "{":
                inline.append((words[i + 1], depth))
            elif tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if inline and inline[-1][1] == depth:
                    inline.pop()
            elif tok == "use":
                k = i  # `pub use`, `pub(crate) use`: a re-export
                while k > 0 and words[k - 1] not in (";", "{", "}", "]"):
                    k -= 1
                is_pub = words[k:k + 1] == ["pub"]
                end = words.index(";", i)
                trees = []
                parse_use_tree(words[i + 1:end + 1], 0, (), trees)
                for segments, alias in trees:
                    self.uses.append((f, line, module, segments))
                    if is_pub and alias not in (None, "*"):
                        self.reexports[f][alias] = (module, segments)
                i = end
            elif (tok in ("crate", "$crate", "super", "self") or module + (tok,) in self.modules) \
                    and words[i + 1:i + 2] == ["::"] and words[i - 1:i] not in (["::"], ["in"]):
                j = i  # the path runs while `:: identifier` follows
                while words[j + 1:j + 2] == ["::"] \
                        and IDENT.fullmatch("".join(words[j + 2:j + 3])):
                    j += 2
                self.uses.append((f, line, module, words[i:j + 1:2]))
                i = j
            i += 1

    def file_of(self, module):
        while module not in self.modules:  # an inline module lives in its file
            module = module[:-1]
        return self.modules[module]

    def resolve(self, module, segments, seen):
        """The file that defines what `segments`, written in `module`, names (None: external)."""
        if not segments:
            return None
        head, rest = segments[0], list(segments[1:])
        if head in ("crate", "$crate"):
            module = ()
        elif head == "super":
            module = module[:-1]
            while rest and rest[0] == "super":
                module, rest = module[:-1], rest[1:]
        elif head != "self":
            if module + (head,) not in self.modules:
                return None  # another crate, std, or a local item that is not a path
            rest = segments
        while rest and module + (rest[0],) in self.modules:
            module, rest = module + (rest[0],), rest[1:]
        target = self.file_of(module)
        if rest and (target, rest[0]) not in seen and rest[0] in self.reexports[target]:
            seen.add((target, rest[0]))
            source_module, source = self.reexports[target][rest[0]]
            return self.resolve(source_module, source + rest[1:], seen) or target
        return target

    def circles(self):
        """Strongly connected components of more than one file: files that reach each other."""
        graph = defaultdict(set)
        for a, b in self.edges:
            graph[a].add(b)
        reach = {}
        for v in self.files:
            reach[v], todo = set(), [v]
            while todo:
                for w in graph[todo.pop()] - reach[v]:
                    reach[v].add(w)
                    todo.append(w)
        components = {tuple(sorted({v} | {w for w in reach[v] if v in reach[w]}))
                      for v in self.files}
        return sorted(list(c) for c in components if len(c) > 1)


def main(folders):
    if not folders:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    failed = False
    for folder in folders:
        crate = Crate(folder)
        circles = crate.circles()
        for number, component in enumerate(circles, 1):
            print(f"{crate.src}: circle {number} of {len(circles)}, {len(component)} files:")
            for f in component:
                print(f"  {f}")
            inside = [(a, sorted(set(lines)), b) for (a, b), lines in crate.edges.items()
                      if a in component and b in component]
            for a, lines, b in sorted(inside):
                print(f"    {a}:{','.join(map(str, lines))} -> {b}")
        print(f"{crate.src}: {len(crate.files)} files, {len(crate.edges)} edges, "
              f"{len(circles)} circles")
        failed = failed or bool(circles)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
