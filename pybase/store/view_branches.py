"""A view query's values that are one of several, made to read on Postgres as on SQLite
(:class:`Branches`, the base of :mod:`pybase.store.view_compare`'s translator): COALESCE/IFNULL,
CASE, IIF and the scalar MAX/MIN whose values are of two kinds, a UNION's column mixing a json
field with another kind, and the aggregates max/min/sum/avg of values Postgres cannot take
(a json or bool field, values of several types). SQLite answers whichever value with its type;
Postgres refuses to mix them, so the values are taken as SQLite holds them
(:mod:`pybase.store.view_kinds`) and the result shown as SQLite's text of it. It is separate
from view_compare, which compares two values, because these rewrites choose among many.
"""

from __future__ import annotations

from typing import Any

from pybase.store.sqlite_functions_base import call
from pybase.store.view_kinds import BOOL, JSON, NUM, TEXT, VIEW_JSON, ValueKinds
from pybase.store.view_nodes import (
    SQL_VALUE,
    any_of,
    branch_values,
    extreme,
    has_star,
    past_double,
    set_branches,
    unparen,
)
from pybase.tools.dbutils import exp


class Branches(ValueKinds):
    """Rewrites the nodes answering one of several values (their children rewritten first)."""

    def aggregate(self, node: Any) -> bool:
        """The aggregates max/min/sum/avg of values Postgres cannot take (:meth:`aggregate_extreme`,
        :meth:`sum_of_values`), and -NULL; whether ``node`` is done."""
        if isinstance(node, exp.Max | exp.Min | exp.Window):
            return self.aggregate_extreme(node)
        if isinstance(node, exp.Sum | exp.Avg) and not node.expressions:
            self.sum_of_values(node)
            return True
        if isinstance(node, exp.Neg) and isinstance(unparen(node.this), exp.Null):
            node.replace(exp.Null())  # NOTE: -NULL (Postgres cannot type it)
            return True
        return False

    def aggregate_extreme(self, node: Any) -> bool:
        """The aggregate ``max(x)``/``min(x)`` (or its window, ``node``) of a json field, a bool
        field or values of several types (``meta ->> 'a'``): SQLite's largest/smallest value by
        its order (numbers before texts, texts by their bytes; a json field's stored text),
        ``pb_max``/``pb_min`` of the values as SQLite holds them, shown as SQLite's text of it (as
        :meth:`branches`). Postgres has no max(jsonb) nor max(boolean), and would compare texts
        that read as numbers as texts. Whether ``node`` was replaced."""
        window = node if isinstance(node, exp.Window) else None
        found = node.this if window is not None else node
        if not isinstance(found, exp.Max | exp.Min) or found.expressions:
            return False
        if window is None and isinstance(node.parent, exp.Window) and node.parent.this is node:
            return False  # NOTE: done with its window, whose other parts are translated then
        value = unparen(found.this)
        if isinstance(value, exp.Distinct) and len(value.expressions) == 1:
            value = unparen(value.expressions[0])  # NOTE: max(DISTINCT x) is max(x)
        if not (SQL_VALUE in value.meta or self.kind(value) in (JSON, BOOL, VIEW_JSON)):
            return False
        done: Any = call("pb_max" if isinstance(found, exp.Max) else "pb_min", self.value(value))
        if window is not None:
            done = window.copy()
            done.set("this", call("pb_max" if isinstance(found, exp.Max) else "pb_min", self.value(value)))
        shown = exp.Paren(this=call("pb_text", done))
        shown.meta[SQL_VALUE] = done
        node.replace(shown)
        return True

    def sum_of_values(self, node: Any) -> None:
        """``sum(x)``/``avg(x)`` of a bool field (its 1/0), of NULL, of a text or a json field
        (each value as the number SQLite reads from it: a text's leading number, else 0; a json
        field's stored text): Postgres has no sum of a boolean, a text or jsonb."""
        value = unparen(node.this)
        distinct = isinstance(value, exp.Distinct) and len(value.expressions) == 1
        inner = unparen(value.expressions[0]) if distinct else value
        kind = self.kind(inner)
        if isinstance(inner, exp.Null):
            done: Any = exp.Cast(this=exp.Null(), to=exp.DataType.build("double"))
        elif kind == BOOL:
            done = exp.Cast(this=inner.copy(), to=exp.DataType.build("int"))
            if isinstance(node, exp.Avg):
                done = exp.Cast(this=done, to=exp.DataType.build("double"))
        elif kind in (TEXT, JSON, VIEW_JSON) or (kind is None and SQL_VALUE in inner.meta):
            computed = SQL_VALUE in inner.meta or kind == VIEW_JSON  # NOTE: a SQL value, as its text
            done = call("pb_real_arg", call("pb_text", self.value(inner)) if computed else inner.copy())
        else:
            return
        if distinct:
            value.set("expressions", [done])
        else:
            node.set("this", done)


    def branches(self, node: Any) -> None:
        """COALESCE/IFNULL, CASE, IIF and the scalar MAX/MIN whose values are of two kinds
        (``coalesce(n, 'z')``): SQLite answers whichever value, with its type; Postgres refuses
        to mix them. Their values are taken as SQLite holds them (jsonb), and the result shown
        as SQLite's text of it (a view's json field reads it as PocketBase does); so too where
        one is a value read from JSON (``coalesce(json_extract(...), 0)``: its class kept)."""
        values = branch_values(node)
        if isinstance(node, exp.Coalesce) and all(isinstance(unparen(v), exp.Null) for v in values):
            node.replace(exp.Null())  # NOTE: ifnull(NULL, NULL): Postgres's NULL of no type fails where read as a number
            return
        if isinstance(node, exp.Greatest | exp.Least) and any(isinstance(unparen(v), exp.Null) for v in values):
            node.replace(exp.Null())  # NOTE: SQLite's max(NULL, 0) is NULL (Postgres's GREATEST skips a NULL)
            return
        kinds = {self.kind(v) for v in values if not isinstance(unparen(v), exp.Null)}
        known = kinds - {None}
        if isinstance(node, exp.Greatest | exp.Least) and kinds == {NUM} and any(past_double(v) for v in values):
            # NOTE: max(n, 9007199254740993), max(n + 1, 0): Postgres's GREATEST of a double
            # is a double; of the exact numbers (numeric), SQLite's 64-bit integer
            for value in values:
                inner = unparen(value)
                exact = exp.Cast(this=inner.copy(), to=exp.DataType.build("decimal")) if isinstance(inner, exp.Literal) else call(
                    "pb_exact_arg", value.copy())  # fmt: skip
                value.replace(exact)
            return
        held = any(self.held(v) is not None for v in values)  # NOTE: coalesce(json_extract(...), 'z'): its class kept
        if len(known) < 2 and not (known & {JSON, VIEW_JSON} and len(kinds) > 1) and not held:
            if isinstance(node, exp.Greatest | exp.Least) and not all(isinstance(unparen(v), exp.Literal | exp.Column) for v in values):
                # NOTE: SQLite's max(a, b) is NULL when either is (Postgres's GREATEST skips a NULL)
                either_null = any_of([exp.Is(this=v.copy(), expression=exp.Null()) for v in values])
                node.replace(exp.Paren(this=exp.Case(ifs=[exp.If(this=either_null, true=exp.Null())], default=node.copy())))
            return
        if isinstance(node, exp.Greatest | exp.Least):
            if len(values) > 4:
                return  # NOTE: each argument is repeated per step: left to Postgres past four
            found = self.value(values[0])
            for value in values[1:]:
                found = extreme(found, self.value(value), greatest=isinstance(node, exp.Greatest))
        else:
            found = node.copy()
            for original, copied in zip(values, branch_values(found), strict=True):
                if not isinstance(unparen(original), exp.Null):
                    copied.replace(self.value(original))
        shown = exp.Paren(this=call("pb_text", found))
        shown.meta[SQL_VALUE] = found
        node.replace(shown)

    def values_of_two_kinds(self, node: Any) -> None:
        """A node answering one of several values, maybe of two kinds: :meth:`branches` (an
        expression's), :meth:`set_operation` (a UNION's, the outermost of nested ones)."""
        if isinstance(node, exp.SetOperation):
            if not isinstance(node.parent, exp.SetOperation):
                self.set_operation(node)
        elif node.parent is not None and not (isinstance(node, exp.If) and isinstance(node.parent, exp.Case)):
            self.branches(node)  # NOTE: not a CASE's WHEN ... THEN (the CASE is one)

    def set_operation(self, node: Any) -> None:
        """A UNION's (INTERSECT's, EXCEPT's) column where one SELECT shows a JSON value (a json
        field) and another a value of another kind (``meta`` and ``'{"b":1}'``): SQLite answers
        each as it holds it, the field's stored JSON text and the text as written; Postgres
        would make the text jsonb (its keys reordered, its spaces gone) or refuse to mix them.
        Every value of such a column is shown as SQLite's text of it (as :meth:`branches`): the
        view's json field reads each text's keys in their order."""
        selects = set_branches(node)
        if not selects or any(has_star(select) for select in selects):
            return
        if len({len(select.expressions) for select in selects}) != 1:
            return
        for position in range(len(selects[0].expressions)):
            items = [select.expressions[position] for select in selects]
            values = [unparen(item.this if isinstance(item, exp.Alias) else item) for item in items]
            kinds = {self.kind(value) for value in values if not isinstance(value, exp.Null)}
            if not kinds & {JSON, VIEW_JSON} or len(kinds) < 2:
                continue
            for item, value in zip(items, values, strict=True):
                if isinstance(value, exp.Null):
                    continue
                shown = exp.Paren(this=call("pb_text", self.value(value)))
                if isinstance(item, exp.Alias):
                    item.set("this", shown)
                elif isinstance(value, exp.Column):
                    item.replace(exp.Alias(this=shown, alias=exp.to_identifier(value.name)))
                else:
                    item.replace(shown)
