"""The parse test of deploy/terraform: the rules of terraform_rules.py on the real module, its
example and the docs, and each rule on small snippets (so that each is seen failing)."""

from pathlib import Path

import pytest

import terraform_rules as rules

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = ROOT / "deploy" / "terraform"
EXAMPLE_DIR = MODULE_DIR / "examples" / "complete"
DOCS = [ROOT / "docs" / "deploy.md", ROOT / "deploy" / "README.md", MODULE_DIR / "README.md"]
# How the docs name the module: a git source ending in //deploy/terraform?ref=..., or a path.
DOC_MODULE_SOURCES = {"deploy/terraform"}


@pytest.fixture(scope="module")
def module():
    return rules.parse_dir(MODULE_DIR)


@pytest.fixture(scope="module")
def example():
    return rules.parse_dir(EXAMPLE_DIR)


def assert_none(problems):
    assert problems == [], "\n" + "\n".join(problems)


# --- The real tree --------------------------------------------------------------------------


def test_every_tf_file_parses():
    files = sorted(MODULE_DIR.rglob("*.tf"))
    assert len(files) >= 8, files
    for path in files:
        rules.parse_text(str(path), path.read_text())


def test_module_variables_have_descriptions_and_types(module):
    assert_none(rules.variables_documented(module))


def test_module_variables_are_all_used(module):
    assert_none(rules.variables_used(module))


def test_module_references_only_declared_variables(module):
    assert_none(rules.variables_referenced_exist(module))


def test_module_outputs_have_descriptions(module):
    assert_none(rules.outputs_documented(module))


def test_example_variables_and_outputs(example):
    assert_none(rules.variables_documented(example) + rules.variables_used(example))
    assert_none(rules.variables_referenced_exist(example) + rules.outputs_documented(example))


def test_example_passes_every_required_variable_and_no_unknown_one(module, example):
    assert_none(rules.example_passes_variables(module, example, "../.."))


def test_templatefile_calls_pass_exactly_the_template_variables(module):
    problems = rules.templatefile_keys_match(module, MODULE_DIR)
    calls = [c for f in module for s in rules.strings_in(f.tree) for c in rules.templatefile_calls(s)]
    # Both deploy/iam templates are rendered (the mooring policy and the S3 one).
    assert len(calls) == 2, calls
    assert_none(problems)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_mention_only_variables_that_exist(module, doc):
    declared = set(rules.variables(module))
    assert doc.is_file(), f"{doc} is missing"
    assert_none(rules.docs_mention_known_variables(str(doc), doc.read_text(), declared, DOC_MODULE_SOURCES))


def test_module_readme_lists_every_variable(module):
    readme = MODULE_DIR / "README.md"
    assert_none(rules.readme_lists_variables(str(readme), readme.read_text(), set(rules.variables(module))))


# --- Each rule fails when it should ------------------------------------------------------------


def tf(text, name="snippet.tf"):
    return [rules.parse_text(name, text)]


def test_rule_variable_without_description_or_type():
    problems = rules.variables_documented(tf('variable "a" {\n  default = 1\n}\n'))
    assert problems == ["snippet.tf:1: variable a has no description", "snippet.tf:1: variable a has no type"]
    assert rules.variables_documented(tf('variable "a" {\n  description = "x"\n  type = number\n}\n')) == []


def test_rule_empty_description_counts_as_none():
    problems = rules.variables_documented(tf('variable "a" {\n  description = ""\n  type = number\n}\n'))
    assert problems == ["snippet.tf:1: variable a has no description"]


def test_rule_unused_variable_even_when_its_validation_names_it():
    snippet = """
variable "used" {
  description = "x"
  type        = string
}
variable "unused" {
  description = "x"
  type        = string
  validation {
    condition     = length(var.unused) > 0
    error_message = "empty"
  }
}
locals {
  a = "prefix-${var.used}"
}
"""
    assert rules.variables_used(tf(snippet)) == [
        "snippet.tf:6: variable unused is declared but never used (no var.unused)"
    ]


def test_rule_reference_to_an_undeclared_variable():
    snippet = 'locals {\n  a = var.nope\n}\n'
    assert rules.variables_referenced_exist(tf(snippet)) == ["snippet.tf:2: var.nope is not a declared variable"]


def test_rule_output_without_description():
    problems = rules.outputs_documented(tf('output "a" {\n  value = 1\n}\noutput "b" {\n  description = "b"\n  value = 2\n}\n'))
    assert problems == ["snippet.tf:1: output a has no description"]


def test_rule_example_missing_a_required_variable_or_passing_an_unknown_one():
    module_files = tf(
        'variable "needed" {\n  type = string\n}\nvariable "optional" {\n  type = string\n  default = null\n}\n',
        "module.tf",
    )
    ok = tf('module "m" {\n  source = "../.."\n  needed = "x"\n  count = 1\n}\n', "example.tf")
    assert rules.example_passes_variables(module_files, ok, "../..") == []
    bad = tf('module "m" {\n  source = "../.."\n  optinal = "x"\n}\n', "example.tf")
    assert rules.example_passes_variables(module_files, bad, "../..") == [
        "example.tf:1: module m does not pass the required variable needed",
        "example.tf:1: module m passes optinal, which the module does not declare",
    ]
    other = tf('module "m" {\n  source = "./other"\n}\n', "example.tf")
    assert rules.example_passes_variables(module_files, other, "../..")[0].startswith("no module block")


def test_rule_templatefile_keys_against_the_template(tmp_path):
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "p.json.tftpl").write_text('{"a": "${partition}", "b": ${arns_json}}')
    snippet = 'locals {\n  p = templatefile("${path.module}/iam/p.json.tftpl", {\n    partition = "aws"\n    extra = jsonencode({x = 1, y = 2})\n  })\n}\n'
    problems = rules.templatefile_keys_match(tf(snippet), tmp_path)
    assert problems == [
        "snippet.tf:2: templatefile p.json.tftpl uses ${arns_json}, which the call does not pass",
        "snippet.tf:2: templatefile p.json.tftpl is passed extra, which it never uses",
    ]
    fixed = snippet.replace("extra =", "arns_json =")
    assert rules.templatefile_keys_match(tf(fixed), tmp_path) == []


def test_rule_templatefile_missing_template_and_directives(tmp_path):
    missing = 'locals {\n  p = templatefile("${path.module}/nope.tftpl", {})\n}\n'
    assert "no such file" in rules.templatefile_keys_match(tf(missing), tmp_path)[0]
    (tmp_path / "d.tftpl").write_text('%{ for a in list }${a}%{ endfor } ${upper(x)}')
    directive = 'locals {\n  p = templatefile("${path.module}/d.tftpl", {a = 1, x = 2})\n}\n'
    problems = rules.templatefile_keys_match(tf(directive), tmp_path)
    assert any("${upper(x)} is not a plain identifier" in p for p in problems), problems
    assert any("%{...} directives are not allowed" in p for p in problems), problems


def test_rule_docs_mentioning_a_variable_that_does_not_exist():
    doc = (
        "Set `var.image` and `var.imgae`.\n\n"
        "```hcl\n"
        'module "mooring" {\n'
        '  source = "git::https://example.com/mooring.git//deploy/terraform?ref=v1"\n'
        '  image  = "x"\n'
        '  subnets = ["a"]\n'
        "  cluster_arn = var.my_root_modules_own\n"
        "}\n"
        "```\n"
        "```hcl\n"
        'module "other" {\n  source = "./vpc"\n  anything = 1\n}\n'
        "```\n"
    )
    problems = rules.docs_mention_known_variables("doc.md", doc, {"image", "cluster_arn"}, {"deploy/terraform"})
    assert problems == [
        "doc.md:1: var.imgae is not a variable of the module",
        "doc.md:4: module mooring passes subnets, which is not a variable of the module",
    ]


def test_rule_readme_table_drift():
    readme = "| name | description |\n|---|---|\n| `image` | x |\n| `old` | gone |\n\n## Outputs\n| `events_topic_arn` | x |\n"
    assert rules.readme_lists_variables("README.md", readme, {"image", "new"}) == [
        "README.md: variable new is missing from the variables table",
        "README.md: the variables table lists old, which is not a variable",
    ]
