#!/usr/bin/env python3
"""Render a deploy/iam/*.json.tftpl policy template the way Terraform's templatefile does.

For people who do not use Terraform, and for tests/deploy/check_iam.py. The templates use
only plain ${identifier} interpolations (no %{...} directives, no function calls), so this
is all templatefile does to them: substitute the values, turn $${ into ${.

    deploy/iam/render.py deploy/iam/mooring.json.tftpl \\
        --var partition=aws --var region=eu-central-1 --var account_id=123456789012 \\
        --var 'ecs_service_arns_json=["arn:aws:ecs:eu-central-1:123456789012:service/shop-prod/*"]' \\
        --var alarm_name_prefix=shop- --var topic_name_prefix=shop- > mooring-policy.json

Exit 0 and the policy on stdout; exit 2 with every problem as FILE:LINE:COL on stderr.
"""

import argparse
import json
import re
import sys

# What templatefile would see: ${ ... } (with $${ as the escape), or a %{ directive.
TOKEN = re.compile(r"\$\$\{|%%\{|\$\{(?P<expr>[^}]*)\}?|%\{")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class RenderError(Exception):
    """Every problem of one template, each as FILE:LINE:COL: message."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def render(text, variables, source="<template>"):
    """The rendered text; RenderError naming every unknown or unsupported interpolation."""
    problems = []
    out = []
    for line_no, line in enumerate(text.splitlines(keepends=True), start=1):
        pos = 0
        for match in TOKEN.finditer(line):
            out.append(line[pos : match.start()])
            pos = match.end()
            token = match.group(0)
            where = f"{source}:{line_no}:{match.start() + 1}"
            if token == "$${":
                out.append("${")
            elif token == "%%{":
                out.append("%{")
            elif token == "%{":
                problems.append(f"{where}: template directives (%{{...}}) are not allowed here")
            elif not token.endswith("}"):
                problems.append(f"{where}: unterminated interpolation {token.strip()!r}")
            else:
                name = match.group("expr").strip()
                if not IDENTIFIER.fullmatch(name):
                    problems.append(
                        f"{where}: only plain ${{identifier}} interpolations are allowed, found ${{{name}}}"
                    )
                elif name not in variables:
                    problems.append(f"{where}: no value for variable `{name}` (pass --var {name}=...)")
                else:
                    out.append(variables[name])
        out.append(line[pos:])
    if problems:
        raise RenderError(problems)
    return "".join(out)


def variables_of(text):
    """The variable names a template uses."""
    return {
        m.group("expr").strip()
        for m in TOKEN.finditer(text)
        if m.group("expr") is not None and m.group(0).endswith("}")
    }


def render_policy(path, variables):
    """Render the template at `path` and parse it as JSON; RenderError on either failure."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    rendered = render(text, variables, path)
    try:
        return json.loads(rendered)
    except json.JSONDecodeError as error:
        raise RenderError(
            [f"{path}:{error.lineno}:{error.colno}: the rendered policy is not JSON: {error.msg}"]
        ) from None


def parse_vars(pairs):
    variables = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise RenderError([f"--var {pair!r}: expected NAME=VALUE"])
        variables[name] = value
    return variables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", help="a deploy/iam/*.json.tftpl file")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        policy = render_policy(args.template, parse_vars(args.var))
    except RenderError as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{args.template}: {error.strerror}", file=sys.stderr)
        return 2
    json.dump(policy, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
