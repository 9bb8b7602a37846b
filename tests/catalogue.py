"""Which subcommands each slash command knows, read from the routers' own code, so that a table-driven
test (permissions, fuzzing) fails when a command or a subcommand is added without a row of its own.

A router is the `handle` function handlers/router.py maps a command to, plus the functions it hands a
`head`/`second` word on to (`/lsp report …`, `/lsp outcome …`). Its subcommand words are the strings it
compares those words with (`head == "board"`, `sub in ("list", "ls")`) and the keys of its routing dict.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable

from handlers.router import COMMANDS

ROUTING_PARAMETERS = ("head", "second", "sub", "word")


def _function(fn: Callable) -> ast.FunctionDef:
    tree = ast.parse(inspect.getsource(inspect.getmodule(fn)))
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == fn.__name__)


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def _words(fn: Callable, seen: set[str]) -> set[str]:
    if fn.__qualname__ in seen:
        return set()
    seen.add(fn.__qualname__)
    tree = _function(fn)
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id in ROUTING_PARAMETERS:
            for comparator in node.comparators:
                words |= _strings(comparator)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "routes" for t in node.targets) \
                and isinstance(node.value, ast.Dict):
            words |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
        elif isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id in ("head", "second")
                                                for a in node.args):
            callee = _resolve(fn, node.func)
            if callee is not None:
                words |= _words(callee, seen)
    return words


def _resolve(fn: Callable, func: ast.expr) -> Callable | None:
    """The function a call inside `fn` names, `name(...)` or `module.name(...)`, if it can be found."""
    module = inspect.getmodule(fn)
    if isinstance(func, ast.Name):
        return getattr(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = getattr(module, func.value.id, None) or _imported_module(fn, func.value.id)
        return getattr(owner, func.attr, None) if owner is not None else None
    return None


def _imported_module(fn: Callable, name: str):
    """A module imported inside `fn` (`from handlers import reports`)."""
    for node in ast.walk(_function(fn)):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return importlib.import_module(f"{node.module}.{alias.name}")
    return None


def subcommand_words(command: str) -> set[str]:
    """Every word the router of `command` knows as (part of) a subcommand; "" stands for no word."""
    return _words(COMMANDS[command], set())


def uncovered(command: str, texts: list[str], aliases: dict[str, str] | None = None) -> set[str]:
    """Subcommand words of `command` that none of `texts` starts with (in its first three words)."""
    used = {""} | set(aliases or {})
    for text in texts:
        used |= {w.lower() for w in text.split()[:3]}
    return subcommand_words(command) - used
