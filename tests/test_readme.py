"""The README starts with the two set-up commands, and .ci/run runs exactly the second one."""
from __future__ import annotations

from conftest import REPO


def test_ci_runs_the_readme_test_command():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# synthaudit" and lines[2] == "```bash" and lines[5] == "```"
    demo_cmd, test_cmd = lines[3], lines[4]
    assert demo_cmd.endswith("synthaudit demo") and "pip install" in demo_cmd
    assert test_cmd.endswith("pytest") and ".[test]" in test_cmd
    ci = [ln for ln in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if ln.strip() and not ln.startswith("#") and not ln.startswith(("set ", "cd "))]
    assert ci == [test_cmd]
