"""Self-test of import_cycles.py on throwaway crates.

Run: python3 -m unittest tests/arch/test_import_cycles.py
"""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_cycles  # noqa: E402  (found through the path set above)


def check(files):
    """Writes `files` ({path under src: text}) as a crate; returns (exit code, output)."""
    with tempfile.TemporaryDirectory() as root:
        src = os.path.join(root, "src")
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(src, path)), exist_ok=True)
            with open(os.path.join(src, path), "w", encoding="utf-8") as f:
                f.write(text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = import_cycles.main([src])
        return code, out.getvalue().replace(src + os.sep, "")


# plan/mod.rs re-exports `Change` and calls into alarms.rs; alarms.rs names `super::Change`.
PLAN = {
    "lib.rs": "pub mod plan;\n",
    "plan/mod.rs": "mod alarms;\nmod change;\npub use self::change::{Change, Kind};\n"
                   "pub fn plan() { alarms::plan() }\n",
    "plan/alarms.rs": "use super::Change;\npub struct Threshold;\npub fn plan() {}\n",
    "plan/change.rs": "pub struct Change;\npub enum Kind {}\n"
                      'const WHY: &str = "crate::plan::alarms";\n',  # a string, not a path
}


class ImportCycles(unittest.TestCase):
    def test_a_circle_through_a_reexport_is_found_between_the_defining_files(self):
        files = dict(PLAN)
        files["plan/change.rs"] += "fn threshold() -> super::alarms::Threshold { todo!() }\n"
        code, out = check(files)
        self.assertEqual(code, 1, out)
        self.assertIn("plan/alarms.rs:1 -> ", out)
        self.assertIn("plan/change.rs:4 -> ", out)
        self.assertIn("circle 1 of 1, 2 files", out)  # not plan/mod.rs, which only re-exports

    def test_no_circle_passes_and_strings_are_not_paths(self):
        code, out = check(PLAN)
        self.assertEqual(code, 0, out)
        self.assertIn("4 files, 3 edges, 0 circles", out)

    def test_super_in_an_inline_test_module_means_its_own_file(self):
        code, out = check({
            "lib.rs": "mod a;\nmod b;\npub use crate::a::A;\n",
            "a.rs": "use crate::b::B;\npub struct A(B);\n"
                    "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
            "b.rs": "pub struct B;\n",
        })
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()
