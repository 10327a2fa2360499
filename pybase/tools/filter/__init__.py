"""PocketBase's filter language: text -> AST -> SQLAlchemy expression, through a ``Resolver``.

Typical use::

    where = compile_filter(parse_filter(text), resolver)
    stmt = resolver.update_query(select(table).where(where))
"""

from pybase.tools.filter.compiler import MACROS, Clock, compile_filter, like_pattern
from pybase.tools.filter.lexer import FilterError, Lexer, Token, TokenKind, go_quote, tokenize
from pybase.tools.filter.parser import (
    MAX_FILTER_EXPRESSIONS,
    MAX_FILTER_LENGTH,
    MAX_GROUP_DEPTH,
    And,
    Expr,
    Function,
    Group,
    Identifier,
    Node,
    Number,
    Operand,
    Or,
    Text,
    iter_expressions,
    parse_filter,
)
from pybase.tools.filter.resolver import (
    NullFallback,
    ResolvedField,
    Resolver,
    SimpleResolver,
    bind_value,
    json_path_of,
)
from pybase.tools.filter.sort import (
    MAX_SORT_EXPRESSIONS,
    MAX_SORT_FIELD_LENGTH,
    SortField,
    compile_sort,
    parse_sort,
)

__all__ = [
    "MACROS",
    "MAX_FILTER_EXPRESSIONS",
    "MAX_FILTER_LENGTH",
    "MAX_GROUP_DEPTH",
    "MAX_SORT_EXPRESSIONS",
    "MAX_SORT_FIELD_LENGTH",
    "And",
    "Clock",
    "Expr",
    "FilterError",
    "Function",
    "Group",
    "Identifier",
    "Lexer",
    "Node",
    "NullFallback",
    "Number",
    "Operand",
    "Or",
    "ResolvedField",
    "Resolver",
    "SimpleResolver",
    "SortField",
    "Text",
    "Token",
    "TokenKind",
    "bind_value",
    "compile_filter",
    "compile_sort",
    "go_quote",
    "iter_expressions",
    "json_path_of",
    "like_pattern",
    "parse_filter",
    "parse_sort",
    "tokenize",
]
