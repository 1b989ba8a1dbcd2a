"""Condition coverage of every claim check, in the sense of MC/DC, measured by running the checks.

    python tools/condition_coverage.py [--json] [--markdown PATH] [EXAMPLE[.CLAIM] ...]

Every claim of the registry is run on the CPU at its default (`claim.proven`) and at each of its
counter-cases (`claim.proven_at`). The check and every function of the `reference` package that a
default run calls (found by tracing that run) are recompiled, for the measurement only, with each
decision rewritten so that it records the truth value of every one of its operands, without
short-circuit, and still returns exactly what the original returns:

- `a and b`, `a or b`: the operands are the leaves of the whole boolean expression (through nested
  `and`/`or` and `not`);
- `all(...)`, `any(...)` over a literal list or tuple (`all([a, b, c])`): its elements, by
  position; over a comprehension or generator (`all(p.dtype == t for p in ps)`), one operand, the
  predicate: the items are data, not conditions (as a loop's condition is one condition in MC/DC),
  so it decides when one item alone turns the result, at whichever position;
- a chained comparison `a < b < c`: one operand per link (`a < b`, `b < c`).

An operand that raises when evaluated out of short-circuit order is "not evaluable" in that
evaluation (its exception is raised only where the original would have raised it).

An operand *decides alone* in an evaluation when flipping it alone changes the decision's outcome
and flipping any other single operand does not (`A and B and C` at (T, T, F): only C; at
(T, T, T): none). In a nested expression the operand is judged in its own `and`/`or`: it decides
when it is not at its neutral value there (True in an `and`, False in an `or`: dropping it would
change nothing) and flipping it changes the outcome; for a flat decision the two wordings agree,
and without it b of `a and (b or c)` could decide in no run at all. Where some operands were not
evaluable, an evaluable one decides if it does for some value of them (a guard
`x is not None and x.n > 0` at x = None decides). An `and`/`or` whose operands are not booleans
(`untie or untie_registrations`) picks a value and decides nothing: it is reported apart, not held
to the requirement. The requirement, per operand (aggregated per source location over every claim
and every run that reaches it): it decides alone in at least one run. Operands that are True (or
False) in every evaluation are reported too.

An operand that must stay though it never decides is declared in `tools/condition_guards.toml`
(module, function, operand source, reason, what was measured). A declaration that matches no
operand, or whose operand now decides, is stale: an error too.

Exits 1 on an undeclared operand that never decides, a stale declaration, a run whose result the
instrumentation changed, or a decision that could not be instrumented.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import dataclasses
import functools
import itertools
import json
import operator
import os
import sys
import tomllib
import types
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GUARDS = ROOT / "tools" / "condition_guards.toml"
REPORT_NAME = "condition coverage"
# The name the rewritten code calls the recorder by (a global of the instrumented module while the
# measurement runs). One leading underscore: a double one would be mangled inside a class.
RECORDER = "_condition_coverage_"
# The rewritten thunks carry this parameter, so that they are told apart from the original lambdas.
THUNK_MARK = "_condition_coverage_thunk_"
# Beyond this many operands not evaluable in one evaluation, no completion is tried (2**n of them).
MOST_UNKNOWN = 10


# --- what a decision is ---------------------------------------------------------------------------

# A boolean expression's shape over its leaves: ("leaf", i), ("not", node), ("and"|"or", (nodes)).
Tree = tuple


@dataclasses.dataclass
class Decision:
    """One decision in the source: where it is, what kind, and its operands' source text."""

    id: int
    module: str
    function: str  # qualified name of the function it stands in
    line: int
    column: int
    kind: str  # "and/or", "all", "any", "chain"
    source: str
    operands: list[str]  # for all/any: the element expression (operands are its positions)
    over_items: bool = False  # all/any over a comprehension: one operand, the predicate
    tree: Tree | None = None  # for and/or
    operators: tuple[Callable[[Any, Any], Any], ...] = ()  # for a chain


def evaluate(tree: Tree, truths: list[bool]) -> bool:
    kind = tree[0]
    if kind == "leaf":
        return truths[tree[1]]
    if kind == "not":
        return not evaluate(tree[1], truths)
    if kind == "and":
        return all(evaluate(child, truths) for child in tree[1])
    return any(evaluate(child, truths) for child in tree[1])


def neutral_values(tree: Tree, negated: bool = False, parent: str = "and") -> dict[int, bool]:
    """Each leaf's neutral value: the one that leaves its `and`/`or` as if the leaf were not there
    (True in an `and`, False in an `or`; the other way through a `not`)."""
    kind = tree[0]
    if kind == "leaf":
        return {tree[1]: (parent == "and") != negated}
    if kind == "not":
        return neutral_values(tree[1], not negated, parent)
    found: dict[int, bool] = {}
    for child in tree[1]:
        found |= neutral_values(child, False, kind)
    return found


def deciding_alone(tree: Tree, truths: list[bool | None]) -> set[int]:
    """The evaluable operands that decide: each is at the value that counts in its `and`/`or` (not
    its neutral value: dropping the operand would change something) and flipping it alone changes
    the outcome, for some value of the operands that were not evaluable (those are never credited).

    In a flat decision (`a and b and c`, `a or b`) this is "flipping it alone changes the outcome
    and flipping any other single operand does not". In a nested one it is what that means for the
    operand's own `and`/`or`: in `a and (b or c)` at (T, T, F) b decides (dropping it turns the
    outcome), although flipping a would change the outcome too; by the flat wording b of that
    expression could decide in no run at all."""
    unknown = [i for i, t in enumerate(truths) if t is None]
    if len(unknown) > MOST_UNKNOWN:
        return set()
    neutral = neutral_values(tree)
    found = set()
    for completion in itertools.product((False, True), repeat=len(unknown)):
        values = list(truths)
        for i, value in zip(unknown, completion, strict=True):
            values[i] = value
        base = evaluate(tree, values)
        for i, truth in enumerate(truths):
            if truth is None or truth == neutral[i] or i in found:
                continue
            values[i] = not truth
            if evaluate(tree, values) != base:
                found.add(i)
            values[i] = truth
    return found


def deciding_alone_flat(conjunction: bool, truths: list[bool | None]) -> set[int]:
    """`deciding_alone` for all(...) (`conjunction`) or any(...) over many operands, in linear time:
    an operand decides alone when it is the only one on the deciding side (False in an `all`, True
    in an `any`) and every other evaluable one is on the other side. Of a single element too: the
    element of `all([x])` decides only at x False, where dropping it (`all([])` is True) shows."""
    deciding_side = not conjunction
    on_side = [i for i, t in enumerate(truths) if t is deciding_side]
    return set(on_side) if len(on_side) == 1 else set()


def predicate_truth(truths: list[bool | None], conjunction: bool) -> bool | None:
    """The one truth value recorded for a predicate over items, as the all() (`conjunction`) or
    any() reads it: all() True where every evaluable item held, any() True where one did (None
    where no item was evaluable, or there was none)."""
    known = [t for t in truths if t is not None]
    if not known:
        return None
    return all(known) if conjunction else any(known)


@dataclasses.dataclass
class OperandRuns:
    """What one operand did in one run (a claim's default or one counter-case)."""

    evaluations: int = 0
    true: int = 0
    false: int = 0
    not_evaluable: int = 0
    value_selections: int = 0  # evaluations of an `and`/`or` that picked a non-boolean value
    decided_alone: bool = False


def is_boolean(value: Any) -> bool:
    """A truth value: a bool, or a tensor of one boolean element (`torch.equal` gives a bool,
    `(a == b).all()` such a tensor)."""
    import torch

    if isinstance(value, bool):
        return True
    return isinstance(value, torch.Tensor) and value.dtype == torch.bool and value.numel() == 1


_FAILED = object()  # an operand or link whose evaluation raised


class Recorder:
    """Called by the rewritten code: records every operand's truth value, then returns what the
    original expression returns (raising what it raises)."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.run: tuple[str, str] | None = None  # (claim, "default" | "counter N") being run
        # (decision id, operand index) -> run -> OperandRuns
        self.seen: dict[tuple[int, int], dict[tuple[str, str], OperandRuns]] = defaultdict(dict)

    def declare(self, decision: Decision) -> int:
        decision.id = len(self.decisions)
        self.decisions.append(decision)
        return decision.id

    def _record(
        self,
        decision: int,
        truths: list[bool | None],
        decided: set[int],
        value_selection: bool = False,
    ) -> None:
        if self.run is None:
            return
        for i, truth in enumerate(truths):
            runs = self.seen[decision, i]
            entry = runs.get(self.run)
            if entry is None:
                entry = runs[self.run] = OperandRuns()
            entry.evaluations += 1
            entry.value_selections += value_selection
            if truth is None:
                entry.not_evaluable += 1
            elif truth:
                entry.true += 1
            else:
                entry.false += 1
            if i in decided:
                entry.decided_alone = True

    # -- and / or --

    def boolop(self, decision: int, thunks: tuple[Callable[[], Any], ...]) -> Any:
        values, errors = [], {}
        for i, thunk in enumerate(thunks):
            try:
                values.append(thunk())
            except Exception as error:  # raised below only where the original would
                values.append(_FAILED)
                errors[i] = error
        truths = [truth_of(v) for v in values]
        tree = self.decisions[decision].tree
        if all(v is _FAILED or is_boolean(v) for v in values):
            self._record(decision, truths, deciding_alone(tree, truths))
        else:  # `untie or untie_registrations`: picks a value, decides nothing
            self._record(decision, truths, set(), value_selection=True)
        return short_circuit(tree, values, errors)

    # -- all(...) / any(...) --

    def quantifier(self, decision: int, callee: Any, iterable: Any, thunked: bool) -> Any:
        if callee is not builtins.all and callee is not builtins.any:  # a shadowed all/any
            return callee((thunk() for thunk in iterable) if thunked else iterable)
        iterator = iter(iterable)
        values: list[Any] = []
        errors: dict[int, Exception] = {}
        stopped: Exception | None = None
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except Exception as error:  # the iteration itself raised
                stopped = error
                break
            if thunked:
                try:
                    item = item()
                except Exception as error:
                    errors[len(values)] = error
                    item = _FAILED
            values.append(item)
        truths = [truth_of(v) for v in values]
        conjunction = callee is builtins.all
        deciding = deciding_alone_flat(conjunction, truths)
        if self.decisions[decision].over_items:  # one predicate: recorded once per evaluation
            self._record(
                decision, [predicate_truth(truths, conjunction)], {0} if deciding else set()
            )
        else:
            self._record(decision, truths, deciding)
        for i, value in enumerate(values):
            if i in errors:
                raise errors[i]
            if bool(value) != conjunction:
                return not conjunction
        if stopped is not None:
            raise stopped
        return conjunction

    # -- a < b < c --

    def chain(self, decision: int, thunks: tuple[Callable[[], Any], ...]) -> Any:
        values, errors = [], {}
        for i, thunk in enumerate(thunks):
            try:
                values.append(thunk())
            except Exception as error:
                values.append(_FAILED)
                errors[i] = error
        operators = self.decisions[decision].operators
        links, link_errors = [], {}
        for k, compare in enumerate(operators):
            left, right = values[k], values[k + 1]
            if left is _FAILED or right is _FAILED:
                links.append(_FAILED)
                continue
            try:
                links.append(compare(left, right))
            except Exception as error:
                links.append(_FAILED)
                link_errors[k] = error
        truths = [truth_of(link) for link in links]
        self._record(decision, truths, deciding_alone_flat(True, truths))
        # The original: each operand evaluated once, left to right, and each link as soon as its
        # right side is; the first false link is the result.
        if 0 in errors:
            raise errors[0]
        for k in range(len(operators)):
            if k + 1 in errors:
                raise errors[k + 1]
            if k in link_errors:
                raise link_errors[k]
            if k == len(operators) - 1 or not links[k]:
                return links[k]
        raise AssertionError("unreachable")


def truth_of(value: Any) -> bool | None:
    if value is _FAILED:
        return None
    try:
        return bool(value)
    except Exception:  # a tensor of several elements, say
        return None


def short_circuit(tree: Tree, values: list[Any], errors: dict[int, Exception]) -> Any:
    """What the original `and`/`or` expression returns, from its leaves' values."""
    kind = tree[0]
    if kind == "leaf":
        if tree[1] in errors:
            raise errors[tree[1]]
        return values[tree[1]]
    if kind == "not":
        return not short_circuit(tree[1], values, errors)
    result = None
    for child in tree[1]:
        result = short_circuit(child, values, errors)
        if bool(result) != (kind == "and"):
            return result
    return result


# --- the rewrite ----------------------------------------------------------------------------------

COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
COMPARISON_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def unsafe_in_a_thunk(node: ast.AST) -> str:
    """Why `node` cannot move into a lambda unchanged ('' when it can)."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.NamedExpr):
            return "an assignment expression (:=) would bind inside the lambda"
        if isinstance(inner, ast.Yield | ast.YieldFrom | ast.Await):
            return "yield/await cannot move into a lambda"
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Name)
            and inner.func.id == "super"
            and not inner.args
        ):
            return "super() without arguments needs the function's own frame"
    return ""


def thunk(expression: ast.expr) -> ast.Lambda:
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(THUNK_MARK)],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[ast.Constant(None)],
    )
    return ast.copy_location(ast.Lambda(arguments, expression), expression)


def recorder_call(method: str, node: ast.expr, *arguments: ast.expr) -> ast.Call:
    function = ast.Attribute(ast.Name(RECORDER, ast.Load()), method, ast.Load())
    call = ast.Call(function, list(arguments), [])
    return ast.fix_missing_locations(ast.copy_location(call, node))


class Rewriter(ast.NodeTransformer):
    """Rewrites every decision of one function (nested functions, lambdas and comprehensions too)."""

    def __init__(self, recorder: Recorder, module: str, function: str, source: str):
        self.recorder, self.module, self.source = recorder, module, source
        self.scopes: list[str] = []  # qualified names of the functions being visited
        self.root = function
        self.skipped: list[tuple[Decision, str]] = []

    @property
    def function(self) -> str:
        return self.scopes[-1] if self.scopes else self.root

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        name = f"{self.function}.<locals>.{node.name}" if self.scopes else self.root
        self.scopes.append(name)
        try:
            return self.generic_visit(node)
        finally:
            self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        name = f"{self.function}.<locals>.<lambda>" if self.scopes else self.root
        self.scopes.append(name)
        try:
            return self.generic_visit(node)
        finally:
            self.scopes.pop()

    def text(self, node: ast.AST) -> str:
        return " ".join((source_segment(self.source, node) or ast.unparse(node)).split())

    def decision(self, node: ast.expr, kind: str, operands: list[str], **more: Any) -> Decision:
        return Decision(
            id=-1,
            module=self.module,
            function=self.function,
            line=node.lineno,
            column=node.col_offset,
            kind=kind,
            source=self.text(node),
            operands=operands,
            **more,
        )

    # and / or, through nested and/or and `not`
    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        leaves: list[ast.expr] = []

        def shape(expression: ast.expr) -> Tree:
            if isinstance(expression, ast.BoolOp):
                kind = "and" if isinstance(expression.op, ast.And) else "or"
                return (kind, tuple(shape(value) for value in expression.values))
            if (
                isinstance(expression, ast.UnaryOp)
                and isinstance(expression.op, ast.Not)
                and isinstance(expression.operand, ast.BoolOp)
            ):
                return ("not", shape(expression.operand))
            leaves.append(expression)
            return ("leaf", len(leaves) - 1)

        tree = shape(node)
        decision = self.decision(node, "and/or", [self.text(leaf) for leaf in leaves], tree=tree)
        reason = next(filter(None, map(unsafe_in_a_thunk, leaves)), "")
        if reason:
            self.skipped.append((decision, reason))
            return self.generic_visit(node)
        number = self.recorder.declare(decision)
        thunks = ast.Tuple([thunk(self.visit(leaf)) for leaf in leaves], ast.Load())
        return recorder_call("boolop", node, ast.Constant(number), thunks)

    # all(...) / any(...)
    def visit_Call(self, node: ast.Call) -> ast.expr:
        if not (
            isinstance(node.func, ast.Name)
            and node.func.id in ("all", "any")
            and len(node.args) == 1
            and not node.keywords
            and not isinstance(node.args[0], ast.Starred)
        ):
            return self.generic_visit(node)
        (argument,) = node.args
        generator = isinstance(argument, ast.GeneratorExp)
        over_items = isinstance(argument, ast.GeneratorExp | ast.ListComp | ast.SetComp)
        element = argument.elt if over_items else argument
        decision = self.decision(node, node.func.id, [self.text(element)], over_items=over_items)
        reason = unsafe_in_a_thunk(element) if generator else ""
        if reason:
            self.skipped.append((decision, reason))
            return self.generic_visit(node)
        number = self.recorder.declare(decision)
        if generator:
            argument = self.generic_visit(argument)  # the loops' own decisions, and the element's
            argument.elt = thunk(argument.elt)
        else:
            argument = self.visit(argument)
        return recorder_call(
            "quantifier",
            node,
            ast.Constant(number),
            self.visit(node.func),
            argument,
            ast.Constant(generator),
        )

    # a < b < c
    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if len(node.ops) < 2:
            return self.generic_visit(node)
        expressions = [node.left, *node.comparators]
        links = [
            f"{self.text(left)} {COMPARISON_TEXT[type(op)]} {self.text(right)}"
            for left, op, right in zip(expressions, node.ops, expressions[1:], strict=False)
        ]
        operators = tuple(COMPARISONS[type(op)] for op in node.ops)
        decision = self.decision(node, "chain", links, operators=operators)
        reason = next(filter(None, map(unsafe_in_a_thunk, expressions)), "")
        if reason:
            self.skipped.append((decision, reason))
            return self.generic_visit(node)
        number = self.recorder.declare(decision)
        thunks = ast.Tuple([thunk(self.visit(e)) for e in expressions], ast.Load())
        return recorder_call("chain", node, ast.Constant(number), thunks)


# --- which functions, and swapping their code ------------------------------------------------------


@dataclasses.dataclass
class Unit:
    """An outermost function (or module-level lambda) of a source file: what is recompiled."""

    path: str
    module: str
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    class_name: str | None  # the innermost class around it: private names are mangled by it
    first_line: int
    last_line: int


@functools.cache
def source_lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def source_segment(source: str, node: ast.AST) -> str:
    """`ast.get_source_segment`, without splitting the whole file again for every node."""
    lines = source_lines(source)
    first, last = node.lineno - 1, node.end_lineno - 1
    start = len(lines[first].encode()[: node.col_offset].decode())
    end = len(lines[last].encode()[: node.end_col_offset].decode())
    if first == last:
        return lines[first][start:end]
    return lines[first][start:] + "".join(lines[first + 1 : last]) + lines[last][:end]


@functools.cache
def parsed(path: str) -> tuple[str, ast.Module]:
    source = Path(path).read_text(encoding="utf-8")
    return source, ast.parse(source, filename=path)


@functools.cache
def units_of(path: str, module: str) -> list[Unit]:
    """Every outermost function of `path` (methods too: classes are looked through)."""
    _, tree = parsed(path)
    found: list[Unit] = []

    def walk(node: ast.AST, qualname: str, class_name: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, f"{qualname}{child.name}.", child.name)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.append(
                    Unit(path, module, qualname + child.name, child, class_name, first,
                         child.end_lineno or child.lineno)
                )  # fmt: skip
            elif isinstance(child, ast.Lambda):
                found.append(
                    Unit(path, module, qualname + "<lambda>", child, class_name, child.lineno,
                         child.end_lineno or child.lineno)
                )  # fmt: skip
            else:
                walk(child, qualname, class_name)

    walk(tree, "", None)
    return found


def units_containing(code: types.CodeType, module: str) -> list[Unit]:
    """The outermost functions of the code's file whose lines hold the code's first line."""
    line = code.co_firstlineno
    candidates = [
        u for u in units_of(code.co_filename, module) if u.first_line <= line <= u.last_line
    ]
    if code.co_name == "<lambda>":  # several lambdas on one line: the one whose code this is
        exact = [u for u in candidates if isinstance(u.node, ast.Lambda) and u.first_line == line]
        return exact or candidates
    return candidates


def nested_codes(code: types.CodeType) -> list[types.CodeType]:
    """The code objects defined directly in `code` (looking through the rewrite's thunks)."""
    found = []
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            if THUNK_MARK in constant.co_varnames[: constant.co_argcount]:
                found.extend(nested_codes(constant))
            else:
                found.append(constant)
    return found


def pair_codes(
    old: types.CodeType, new: types.CodeType, pairs: dict[types.CodeType, types.CodeType]
) -> None:
    """Each code object of `old` (nested ones too) and its rewritten counterpart in `new`."""
    pairs[old] = new
    old_nested, new_nested = nested_codes(old), nested_codes(new)
    key = operator.attrgetter("co_name", "co_firstlineno")
    if list(map(key, old_nested)) != list(map(key, new_nested)):
        raise RuntimeError(f"the rewrite of {old.co_qualname} changed its nested functions")
    for a, b in zip(old_nested, new_nested, strict=True):
        pair_codes(a, b, pairs)


def compile_rewritten(unit: Unit, recorder: Recorder, namespace: dict[str, Any]) -> tuple[
    types.CodeType, list[tuple[Decision, str]]
]:  # fmt: skip
    """The unit's code with its decisions rewritten (and the decisions that could not be)."""
    source, _ = parsed(unit.path)
    node = unit.node  # rewritten in place: `instrumented` parses the files afresh each time
    rewriter = Rewriter(recorder, unit.module, unit.qualname, source)
    if isinstance(node, ast.Lambda):
        body: list[ast.stmt] = []
        result = rewriter.visit(node)
    else:
        node.decorator_list = []
        strip_annotations_and_defaults(node)
        node = rewriter.visit(node)
        body = [node]
        result = ast.Name(node.name, ast.Load())
        if unit.class_name is not None:  # private names mangled as in the class
            body = [ast.ClassDef(unit.class_name, [], [], body, [])]
            result = ast.Subscript(
                ast.Attribute(ast.Name(unit.class_name, ast.Load()), "__dict__", ast.Load()),
                ast.Constant(node.name),
                ast.Load(),
            )
    # At module level, as the original: a name the function reads (its own, for a recursion) stays a
    # global; a method's class statement gives it the same `__class__` cell and name mangling.
    body.append(ast.Assign([ast.Name("_condition_coverage_rewritten_", ast.Store())], result))
    module = ast.fix_missing_locations(ast.Module(body, []))
    exec(compile(module, unit.path, "exec", dont_inherit=True), namespace)
    function = namespace.pop("_condition_coverage_rewritten_")
    return function.__code__, rewriter.skipped


def strip_annotations_and_defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """Annotations and defaults are the function object's, not its code's: the recompiled code is
    put into the existing function, which keeps its own. Evaluating them again could draw."""
    arguments = function.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        argument.annotation = None
    for argument in (arguments.vararg, arguments.kwarg):
        if argument is not None:
            argument.annotation = None
    function.returns = None
    arguments.defaults = [ast.Constant(None) for _ in arguments.defaults]
    arguments.kw_defaults = [
        None if d is None else ast.Constant(None) for d in arguments.kw_defaults
    ]


def function_objects(roots: Iterable[Any], package: str) -> Iterator[types.FunctionType]:
    """Every function object reachable from `roots` through what a registry holds: module globals,
    classes of `package`, methods, partials, wrappers, closures, defaults, dataclass fields and
    containers."""
    seen: set[int] = set()
    stack = [(root, 0) for root in roots]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > 12:
            continue
        seen.add(id(obj))
        inner: list[Any] = []
        if isinstance(obj, types.FunctionType):
            yield obj
            inner += [getattr(obj, "__wrapped__", None), *(obj.__defaults__ or ())]
            inner += list((obj.__kwdefaults__ or {}).values())
            for cell in obj.__closure__ or ():
                with contextlib.suppress(ValueError):  # an empty cell has no contents
                    inner.append(cell.cell_contents)
        elif isinstance(obj, types.ModuleType):
            if obj.__name__ == package or obj.__name__.startswith(package + "."):
                inner += list(vars(obj).values())
        elif isinstance(obj, type):
            if obj.__module__ == package or obj.__module__.startswith(package + "."):
                inner += list(vars(obj).values())
        elif isinstance(obj, staticmethod | classmethod):
            inner.append(obj.__func__)
        elif isinstance(obj, property):
            inner += [obj.fget, obj.fset, obj.fdel]
        elif isinstance(obj, functools.partial):
            inner += [obj.func, *obj.args, *obj.keywords.values()]
        elif isinstance(obj, tuple | list | set | frozenset):
            inner += list(obj)
        elif isinstance(obj, dict | types.MappingProxyType):
            inner += list(obj.values())
        elif dataclasses.is_dataclass(obj):
            inner += [getattr(obj, f.name) for f in dataclasses.fields(obj)]
        elif hasattr(obj, "__wrapped__") and hasattr(obj, "cache_clear"):  # functools.cache
            inner.append(obj.__wrapped__)
        stack += [(item, depth + 1) for item in inner if item is not None]


def caches(roots: Iterable[Any], package: str) -> list[Any]:
    """The functools.cache'd functions of `package`: set aside around the measurement, so that the
    instrumented code runs (and nothing it computed is kept): `caches_set_aside`."""
    found = []
    for module in roots:
        if isinstance(module, types.ModuleType):
            for value in vars(module).values():
                if hasattr(value, "cache_clear") and hasattr(value, "__wrapped__"):
                    found.append(value)
    return found


@contextmanager
def caches_set_aside(
    cached: list[Any], modules: list[types.ModuleType], errors: list[str]
) -> Iterator[Callable[[], None]]:
    """Each functools.cache'd function of `cached` replaced, in every module that holds it, by an
    empty cache of the same function while the measurement runs, so that the code under it runs
    (traced, then instrumented: the function given empties the replacements between the two); the
    original put back afterwards with what it held. What the process computed before (a training
    the other tests read) is kept; what the measurement computed is not. A call that reached an
    original during the measurement (through a reference held outside a module's globals) skipped
    the code measured: it is an error."""
    originals = {id(function): function for function in cached}
    fresh = {key: functools.cache(function.__wrapped__) for key, function in originals.items()}
    places = [
        (module, name, id(value))
        for module in modules
        for name, value in list(vars(module).items())
        if id(value) in originals and value is originals[id(value)]
    ]
    before = {key: function.cache_info() for key, function in originals.items()}

    def clear() -> None:
        for function in fresh.values():
            function.cache_clear()

    for module, name, key in places:
        setattr(module, name, fresh[key])
    try:
        yield clear
    finally:
        for module, name, key in places:
            setattr(module, name, originals[key])
        errors += [
            f"{function.__module__}.{function.__qualname__}: its cache was reached during the "
            "measurement, not through its module: the code under it was not measured there"
            for key, function in originals.items()
            if function.cache_info() != before[key]
        ]


# --- the measurement ------------------------------------------------------------------------------


@dataclasses.dataclass
class Measurement:
    recorder: Recorder
    claims: list[str]
    runs: int
    units: list[str]
    errors: list[str]
    skipped: list[tuple[Decision, str]]
    checks: dict[str, tuple[str, str]]  # claim -> (module, qualified name) of its check function


def package_modules(package: str) -> list[types.ModuleType]:
    return [
        module
        for name, module in sorted(sys.modules.items())
        if module is not None and (name == package or name.startswith(package + "."))
    ]


@contextmanager
def tracing(found: set[types.CodeType], directory: str) -> Iterator[None]:
    """Collects the code of every Python function called while it is active, in `directory`."""

    def trace(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(directory):
            found.add(frame.f_code)

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


@contextmanager
def instrumented(
    codes: Iterable[types.CodeType], roots: list[Any], package: str, recorder: Recorder
) -> Iterator[tuple[list[str], list[str], list[tuple[Decision, str]]]]:
    """The functions holding `codes` recompiled with their decisions rewritten, swapped in for the
    duration; the originals are put back afterwards, whatever happens."""
    parsed.cache_clear()  # the rewrite changes the parsed trees: each measurement parses afresh
    units_of.cache_clear()
    objects = list(function_objects(roots, package))
    by_code: dict[types.CodeType, list[types.FunctionType]] = defaultdict(list)
    for function in objects:
        by_code[function.__code__].append(function)
    errors: list[str] = []
    skipped: list[tuple[Decision, str]] = []
    units: dict[tuple[str, int, int], Unit] = {}
    for code in codes:
        module = module_of(code, roots)
        for unit in units_containing(code, module):
            units[unit.path, unit.node.lineno, unit.node.col_offset] = unit
        if not units_containing(code, module):
            errors.append(f"{code.co_qualname} ({code.co_filename}:{code.co_firstlineno}) lies "
                          "outside any function: not instrumented")  # fmt: skip
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    globals_used: list[dict[str, Any]] = []
    names = []
    try:
        for unit in sorted(units.values(), key=lambda u: (u.path, u.first_line)):
            originals = [
                code
                for code in by_code
                if code.co_filename == unit.path
                and unit.first_line <= code.co_firstlineno <= unit.last_line
                and outermost(code, unit)
            ]
            if not originals:
                errors.append(f"{unit.module}.{unit.qualname}: no function object of it was "
                              "found to instrument")  # fmt: skip
                continue
            namespace = dict(by_code[originals[0]][0].__globals__)
            try:
                new, unit_skipped = compile_rewritten(unit, recorder, namespace)
            except Exception as error:
                errors.append(f"{unit.module}.{unit.qualname}: cannot be rewritten: {error}")
                continue
            skipped += unit_skipped
            pairs: dict[types.CodeType, types.CodeType] = {}
            for original in originals:
                pair_codes(original, new.replace(co_qualname=original.co_qualname), pairs)
            for old_code, new_code in pairs.items():
                for function in by_code.get(old_code, ()):
                    if len(new_code.co_freevars) != len(old_code.co_freevars):
                        errors.append(f"{unit.module}.{unit.qualname}: its free variables "
                                      "changed in the rewrite")  # fmt: skip
                        continue
                    function.__code__ = new_code
                    swapped.append((function, old_code))
                    if function.__globals__.get(RECORDER) is not recorder:
                        function.__globals__[RECORDER] = recorder
                        globals_used.append(function.__globals__)
            names.append(f"{unit.module}.{unit.qualname}")
        yield names, errors, skipped
    finally:
        parsed.cache_clear()
        units_of.cache_clear()
        for function, code in reversed(swapped):
            function.__code__ = code
        for namespace in globals_used:
            namespace.pop(RECORDER, None)


def outermost(code: types.CodeType, unit: Unit) -> bool:
    """Whether `code` is the unit's own code (not a function nested in it)."""
    if isinstance(unit.node, ast.Lambda):
        return code.co_name == "<lambda>" and code.co_firstlineno == unit.first_line
    return code.co_name == unit.node.name and code.co_firstlineno == unit.first_line


def module_of(code: types.CodeType, roots: list[Any]) -> str:
    for module in roots:
        if isinstance(module, types.ModuleType) and getattr(module, "__file__", None) == (
            code.co_filename
        ):
            return module.__name__
    return Path(code.co_filename).stem


def registry_claims(selected: list[str] | None = None) -> list[tuple[str, Any]]:
    """(example.claim, claim) of every claim, or of those named (an example's name takes all of
    its claims)."""
    import reference

    claims = [
        (f"{name}.{claim.name}", claim)
        for name in reference.names()
        for claim in reference.get(name).claims
    ]
    if not selected:
        return claims
    chosen = [
        (key, claim) for key, claim in claims if key in selected or key.split(".")[0] in selected
    ]
    unknown = [s for s in selected if not any(k == s or k.split(".")[0] == s for k, _ in claims)]
    if unknown:
        raise SystemExit(f"condition_coverage: no such example or claim: {', '.join(unknown)}")
    return chosen


@dataclasses.dataclass
class Run:
    """One run of a check: `claim` and `label` ("default", "counter N") name it; `call` runs it.
    A run with `traced` set is run once before the measurement, uninstrumented, and the functions
    of the package it calls are the ones instrumented."""

    claim: str
    label: str
    call: Callable[[], Any]
    traced: bool


def measure_runs(
    runs: list[Run], package: str, roots: Iterable[Any] = ()
) -> tuple[Recorder, dict[tuple[str, str], Any], list[str], list[str], list[tuple[Decision, str]]]:
    """Traces the `traced` runs, instruments every function of `package` they call, then runs every
    run instrumented. Returns the recorder, what each run said instrumented, the functions
    instrumented, the errors (a traced run that says something else instrumented) and the decisions
    that could not be instrumented."""
    modules = package_modules(package)
    if not modules:
        raise SystemExit(f"condition_coverage: the package {package!r} is not imported")
    directory = str(Path(modules[0].__file__).resolve().parent) + "/"
    bypassed: list[str] = []
    with caches_set_aside(caches(modules, package), modules, bypassed) as clear_caches:
        codes: set[types.CodeType] = set()
        originals: dict[tuple[str, str], Any] = {}
        for run in runs:
            if run.traced:
                with tracing(codes, directory):
                    originals[run.claim, run.label] = outcome(run.call)
        clear_caches()
        recorder = Recorder()
        said: dict[tuple[str, str], Any] = {}
        with instrumented(codes, [*modules, *roots], package, recorder) as (
            units,
            errors,
            skipped,
        ):
            try:
                for run in runs:
                    recorder.run = (run.claim, run.label)
                    said[run.claim, run.label] = outcome(run.call)
            finally:
                recorder.run = None
    errors += bypassed
    for key, original in originals.items():
        if said[key] != original:
            errors.append(f"{key[0]} ({key[1]}): instrumented it says {said[key]}; the original "
                          f"says {original}")  # fmt: skip
    return recorder, said, units, errors, skipped


def measure(
    claims: list[tuple[str, Any]], *, package: str = "reference", device: str = "cpu"
) -> Measurement:
    """Runs every claim's default (traced, then instrumented) and its counter-cases (instrumented),
    recording every operand of every decision reached."""
    import reference

    runs = []
    for key, claim in claims:
        runs.append(Run(key, "default", functools.partial(claim.proven, device), traced=True))
        for number, case in enumerate(claim.counters):
            call = functools.partial(claim.proven_at, case, device)
            runs.append(Run(key, f"counter {number}", call, traced=False))
    registry = [reference.get(name) for name in reference.names()]
    roots = [*registry, *(claim for _, claim in claims)]
    recorder, said, units, errors, skipped = measure_runs(runs, package, roots)
    by_key = dict(claims)
    for run in runs:
        if run.label == "default" or said[run.claim, run.label] is False:
            continue
        # A counter-case must say False: is it the instrumentation, or the check itself?
        claim = by_key[run.claim]
        original = outcome(run.call)
        errors.append(f"{run.claim} ({run.label}): says {said[run.claim, run.label]} "
                      f"instrumented and {original} uninstrumented, not False "
                      f"({claim.counters[int(run.label.split()[1])].where})")  # fmt: skip
    checks = {key: check_function(claim) for key, claim in claims}
    return Measurement(
        recorder, [key for key, _ in claims], len(runs), units, errors, skipped, checks
    )


def check_function(claim: Any) -> tuple[str, str]:
    check = claim.check
    while isinstance(check, functools.partial):
        check = check.func
    return check.__module__, check.__qualname__


def outcome(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except Exception as error:  # reported, never hidden
        return f"raised {type(error).__name__}: {error}"


# --- the report -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Operand:
    module: str
    function: str
    line: int
    column: int
    kind: str
    decision: str
    index: int
    operand: str
    claims: list[str]
    runs: int
    evaluations: int
    true: int
    false: int
    not_evaluable: int
    decides_alone: bool
    decided_in: str | None  # the first run (claim, run) where it decided alone
    value_selection: bool  # only ever in an `and`/`or` that picked a non-boolean value
    in_check: bool  # in a claim's own check function (not a helper it calls)
    declared: str | None = None  # the guard's reason, where one is declared

    @property
    def never_decides(self) -> bool:
        """Held to the requirement and never the only operand that decides."""
        return not self.decides_alone and not self.value_selection

    @property
    def always(self) -> str | None:
        if self.true and not self.false:
            return "True"
        if self.false and not self.true:
            return "False"
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "always": self.always,
            "never_decides": self.never_decides,
        }


def operand_text(decision: Decision, index: int) -> str:
    if decision.kind in ("all", "any"):
        if decision.over_items:
            return f"{decision.operands[0]} [at one item]"
        return f"{decision.operands[0]} [element {index}]"
    return decision.operands[index]


def operands_of(measurement: Measurement) -> list[Operand]:
    recorder = measurement.recorder
    found = []
    for (number, index), runs in recorder.seen.items():
        decision = recorder.decisions[number]
        entries = list(runs.values())
        deciding = sorted(run for run, entry in runs.items() if entry.decided_alone)
        found.append(
            Operand(
                module=decision.module,
                function=decision.function,
                line=decision.line,
                column=decision.column,
                kind=decision.kind,
                decision=decision.source,
                index=index,
                operand=operand_text(decision, index),
                claims=sorted({claim for claim, _ in runs}),
                runs=len(runs),
                evaluations=sum(e.evaluations for e in entries),
                true=sum(e.true for e in entries),
                false=sum(e.false for e in entries),
                not_evaluable=sum(e.not_evaluable for e in entries),
                decides_alone=bool(deciding),
                decided_in=f"{deciding[0][0]} ({deciding[0][1]})" if deciding else None,
                value_selection=all(e.value_selections == e.evaluations for e in entries),
                in_check=(decision.module, decision.function) in measurement.checks.values(),
            )
        )
    return sorted(found, key=lambda o: (o.module, o.line, o.column, o.function, o.index))


def per_claim_figures(measurement: Measurement) -> dict[str, int]:
    """The audit's way of counting (issue 28): every operand of every `and`/`or` of the claims'
    own check functions, once per claim, judged over that claim's runs alone."""
    recorder = measurement.recorder
    never: set[tuple[int, int, str]] = set()
    always_true: set[tuple[int, int, str]] = set()
    for (number, index), runs in recorder.seen.items():
        decision = recorder.decisions[number]
        if decision.kind != "and/or":
            continue
        by_claim: dict[str, list[OperandRuns]] = defaultdict(list)
        for (claim, _), entry in runs.items():
            if measurement.checks[claim] == (decision.module, decision.function):
                by_claim[claim].append(entry)
        for claim, entries in by_claim.items():
            if all(e.value_selections == e.evaluations for e in entries):
                continue
            if not any(e.decided_alone for e in entries):
                never.add((number, index, claim))
            if sum(e.true for e in entries) and not sum(e.false for e in entries):
                always_true.add((number, index, claim))
    return {
        "operand_claim_pairs_never_deciding": len(never),
        "claims_with_one": len({c for *_, c in never}),
        "operand_claim_pairs_always_true": len(always_true),
        "claims_with_always_true": len({c for *_, c in always_true}),
    }


@dataclasses.dataclass
class Guard:
    module: str
    function: str
    operand: str
    reason: str
    measured: str

    def matches(self, operand: Operand) -> bool:
        return (
            operand.module == self.module
            and operand.function == self.function
            and operand.operand == " ".join(self.operand.split())
        )


def load_guards(path: Path = GUARDS) -> list[Guard]:
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("guard", [])
    guards = []
    for number, entry in enumerate(entries):
        missing = [
            k for k in ("module", "function", "operand", "reason", "measured") if not entry.get(k)
        ]
        if missing:
            raise SystemExit(f"{path.name}: guard {number + 1} lacks {', '.join(missing)}")
        guards.append(
            Guard(**{k: entry[k] for k in ("module", "function", "operand", "reason", "measured")})
        )
    return guards


@dataclasses.dataclass
class Verdict:
    operands: list[Operand]
    undeclared: list[Operand]
    stale: list[str]
    errors: list[str]
    measurement: Measurement

    @property
    def failed(self) -> bool:
        return bool(self.undeclared or self.stale or self.errors)


def judge(measurement: Measurement, guards: list[Guard]) -> Verdict:
    operands = operands_of(measurement)
    stale = []
    for guard in guards:
        matched = [o for o in operands if guard.matches(o)]
        if not matched:
            stale.append(f"guard {guard.module}.{guard.function}: {guard.operand!r} matches no "
                         "operand reached by a run")  # fmt: skip
        for operand in matched:
            if operand.decides_alone:
                stale.append(f"guard {guard.module}.{guard.function}: {guard.operand!r} now "
                             f"decides alone (in {operand.decided_in}): drop the declaration")  # fmt: skip
            else:
                operand.declared = guard.reason
    undeclared = [o for o in operands if o.never_decides and o.declared is None]
    errors = list(measurement.errors)
    errors += [
        f"{d.module}.{d.function} line {d.line}: {d.source!r} not instrumented: {reason}"
        for d, reason in measurement.skipped
    ]
    return Verdict(operands, undeclared, stale, errors, measurement)


def figures(verdict: Verdict) -> dict[str, Any]:
    operands = verdict.operands
    never = [o for o in operands if o.never_decides]
    return {
        "claims": len(verdict.measurement.claims),
        "runs": verdict.measurement.runs,
        "functions_instrumented": len(verdict.measurement.units),
        "decisions_reached": len({(o.module, o.line, o.column, o.function) for o in operands}),
        "operands": len(operands),
        "never_deciding": len(never),
        "never_deciding_declared": len([o for o in never if o.declared is not None]),
        "never_deciding_undeclared": len(verdict.undeclared),
        "value_selections": len([o for o in operands if o.value_selection]),
        "by_kind": {
            kind: {
                "operands": len([o for o in operands if o.kind == kind]),
                "never_deciding": len([o for o in never if o.kind == kind]),
            }
            for kind in ("and/or", "all", "any", "chain")
        },
        "always_true": len([o for o in operands if o.always == "True"]),
        "always_false": len([o for o in operands if o.always == "False"]),
        **per_claim_figures(verdict.measurement),
        "stale_guards": len(verdict.stale),
        "errors": len(verdict.errors),
    }


def as_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "figures": figures(verdict),
        "operands": [o.as_json() for o in verdict.operands],
        "undeclared": [
            f"{o.module}.{o.function}:{o.line}: {o.operand}" for o in verdict.undeclared
        ],
        "stale_guards": verdict.stale,
        "errors": verdict.errors,
        "functions_instrumented": verdict.measurement.units,
    }


def as_markdown(verdict: Verdict) -> str:
    f = figures(verdict)
    lines = [
        "# Condition coverage of the claim checks",
        "",
        "Written by `python tools/condition_coverage.py --markdown PATH`: every claim's check and the",
        "`reference` functions its default run calls, run instrumented (every operand of every",
        "`and`/`or`, `all()`/`any()` and chained comparison evaluated, without short-circuit) at",
        "the claim's default and at each of its counter-cases, on the CPU.",
        "",
        f"- {f['claims']} claims, {f['runs']} runs, {f['functions_instrumented']} functions "
        f"instrumented, {f['decisions_reached']} decisions reached, {f['operands']} operands",
        f"- never the only operand that decides: **{f['never_deciding']}** "
        f"({f['never_deciding_declared']} declared guards, "
        f"{f['never_deciding_undeclared']} undeclared)",
        "- by kind: "
        + "; ".join(
            f"{kind} {n['never_deciding']} of {n['operands']}" for kind, n in f["by_kind"].items()
        ),
        f"- value selections (an `and`/`or` of non-booleans, `untie or untie_registrations`: it "
        f"picks a value, it decides nothing; not held to the requirement): {f['value_selections']}",
        f"- True in every evaluation: {f['always_true']}; False in every evaluation: "
        f"{f['always_false']}",
        f"- counted as the audit of issue 28 counted (the `and`/`or` operands of each claim's own "
        f"check function, judged on that claim's runs): {f['operand_claim_pairs_never_deciding']} "
        f"never the only operand that decides, in {f['claims_with_one']} claims; "
        f"{f['operand_claim_pairs_always_true']} True in every run, in "
        f"{f['claims_with_always_true']} claims",
        f"- stale guard declarations: {f['stale_guards']}; errors: {f['errors']}",
        "",
    ]
    if verdict.errors or verdict.stale:
        lines += ["## Errors", ""]
        lines += [f"- {e}" for e in (*verdict.errors, *verdict.stale)]
        lines += [""]
    lines += ["## Never the only operand that decides (undeclared)", ""]
    lines += table([o for o in verdict.operands if o in verdict.undeclared]) or ["none", ""]
    lines += ["## Value selections (not decisions)", ""]
    lines += table([o for o in verdict.operands if o.value_selection]) or ["none", ""]
    lines += ["## Declared guards", ""]
    lines += table([o for o in verdict.operands if o.declared is not None]) or ["none", ""]
    lines += ["## Every operand", ""]
    lines += table(verdict.operands)
    return "\n".join(lines).rstrip() + "\n"


def table(operands: list[Operand]) -> list[str]:
    if not operands:
        return []
    rows = [
        "| module | function | line | operand | runs (claims) | decides alone | always |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in operands:
        decides = f"yes, {o.decided_in}" if o.decides_alone else "**no**"
        if o.value_selection:
            decides = "value selection"
        if o.declared is not None:
            decides += " (declared)"
        unknown = f", {o.not_evaluable} not evaluable" if o.not_evaluable else ""
        rows.append(
            f"| `{o.module}` | `{o.function}` | {o.line} | `{escape(o.operand)}` | "
            f"{o.runs} ({len(o.claims)}){unknown} | {decides} | {o.always or '-'} |"
        )
    return [*rows, ""]


def escape(text: str) -> str:
    text = text if len(text) <= 90 else text[:87] + "..."
    return text.replace("|", "\\|").replace("`", "'")


def as_text(verdict: Verdict) -> str:
    f = figures(verdict)
    lines = [
        f"{REPORT_NAME}: {f['claims']} claims, {f['runs']} runs, {f['operands']} operands in "
        f"{f['decisions_reached']} decisions of {f['functions_instrumented']} functions",
        f"  never deciding alone: {f['never_deciding']} ({f['never_deciding_declared']} declared, "
        f"{f['never_deciding_undeclared']} undeclared); always True: {f['always_true']}; "
        f"always False: {f['always_false']}",
    ]
    current = None
    for o in verdict.operands:
        place = f"{o.module}.{o.function}"
        if place != current:
            lines.append(place)
            current = place
        decides = f"decides alone ({o.decided_in})" if o.decides_alone else "NEVER DECIDES ALONE"
        if o.value_selection:
            decides = "a value selection, not a decision"
        if o.declared is not None:
            decides += " [declared guard]"
        always = f", always {o.always}" if o.always else ""
        lines.append(
            f"  line {o.line}: {o.operand}  -- {o.runs} runs in {len(o.claims)} claims, "
            f"{decides}{always}"
        )
    for error in (*verdict.errors, *verdict.stale):
        lines.append(f"error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="examples or example.claim (default: every claim)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument("--guards", type=Path, default=GUARDS, help="the declared guards (TOML)")
    arguments = parser.parse_args(argv)
    from reference.seeding import configure_determinism

    configure_determinism()
    verdict = judge(measure(registry_claims(arguments.names)), load_guards(arguments.guards))
    if arguments.names:  # a part of the registry: a guard of another claim's code is not stale
        verdict.stale = [s for s in verdict.stale if "matches no operand" not in s]
    if arguments.markdown:
        arguments.markdown.write_text(as_markdown(verdict), encoding="utf-8")
    try:
        print(json.dumps(as_json(verdict), indent=1) if arguments.json else as_text(verdict))
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter's last flush goes here
    return 1 if verdict.failed else 0


if __name__ == "__main__":
    sys.exit(main())
