# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every module's EXAMPLES use only results that exist: a registered variable of an example
task, and fields that the module's RETURN documents."""

from __future__ import annotations

import importlib
import os
import re

import pytest
import yaml

MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py") and not name.startswith("_"))
_EXPRESSION = re.compile(r"{{(.*?)}}", re.S)
_PATH = re.compile(r"(?<![\w.'\"])([a-z_][a-z0-9_]*)((?:\.[a-z_][a-z0-9_]*|\[\d+\])+)")


def _module(name):
    return importlib.import_module("ansible_collections.alicloud.cas.plugins.modules.%s" % name)


def _tasks(node):
    """Every task dict of an EXAMPLES document, blocks included."""
    for task in node or []:
        yield task
        for key in ("block", "rescue", "always"):
            if isinstance(task.get(key), list):
                yield from _tasks(task[key])


def _registers():
    """variable -> module whose result it holds, over the EXAMPLES of every module."""
    registers = {}
    for name in MODULES:
        for task in _tasks(yaml.safe_load(_module(name).EXAMPLES)):
            if task.get("register") and "alicloud.cas.%s" % name in task:
                registers[task["register"]] = name
    return registers


def _documented(returns, fields):
    """Whether RETURN documents the field path (``contains`` for nested dicts, lists of dicts)."""
    node = {"contains": returns}
    for field in fields:
        contains = node.get("contains") or {}
        if field not in contains:
            return False
        node = contains[field]
    return True


@pytest.mark.parametrize("name", MODULES)
def test_examples_use_only_registered_results_and_returned_fields(name):
    registers = _registers()
    text = _module(name).EXAMPLES
    for expression in _EXPRESSION.findall(text):
        for root, rest in _PATH.findall(expression):
            if root in ("lookup", "ansible_facts", "hostvars", "item"):
                continue
            assert root in registers, "%s EXAMPLES use %s%s, but no example registers %s" % (name, root, rest, root)
            fields = [field for field in rest.split(".") if field and not field.startswith("[")]
            fields = [re.sub(r"\[\d+\]$", "", field) for field in fields]
            returns = yaml.safe_load(_module(registers[root]).RETURN)
            assert _documented(returns, fields), "%s EXAMPLES use %s%s, which %s does not return" % (
                name, root, rest, registers[root])
    for task in _tasks(yaml.safe_load(text)):
        condition = task.get("when")
        for root, rest in _PATH.findall(condition if isinstance(condition, str) else ""):
            assert root in registers, "%s EXAMPLES test %s%s, but no example registers %s" % (name, root, rest, root)
