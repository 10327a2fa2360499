"""Lexer, parser and sort-parser tables for the filter language (cases mirror fexpr's tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybase.tools.filter import (
    MAX_FILTER_EXPRESSIONS,
    MAX_FILTER_LENGTH,
    MAX_GROUP_DEPTH,
    And,
    Expr,
    FilterError,
    Function,
    Group,
    Identifier,
    Node,
    Number,
    Operand,
    Or,
    SimpleResolver,
    SortField,
    Text,
    TokenKind,
    compile_sort,
    go_quote,
    iter_expressions,
    parse_filter,
    parse_sort,
    tokenize,
)


def show_operand(operand: Operand) -> str:
    if isinstance(operand, Identifier):
        return operand.name
    if isinstance(operand, Text):
        return repr(operand.value)
    if isinstance(operand, Number):
        return operand.literal
    args = ", ".join(show_operand(arg) for arg in operand.args)
    return f"{operand.name}({args})"


def show(node: Node) -> str:
    """Render an AST as a compact s-expression."""
    if isinstance(node, Expr):
        return f"({node.op} {show_operand(node.left)} {show_operand(node.right)})"
    if isinstance(node, Group):
        return f"[{show(node.node)}]"
    joiner = "&&" if isinstance(node, And) else "||"
    return f"({joiner} " + " ".join(show(item) for item in node.items) + ")"


VALID = [
    ("1=12", "(= 1 12)"),
    ("   1    =    12    ", "(= 1 12)"),
    ('"demo" != test', "(!= 'demo' test)"),
    ("a~1", "(~ a 1)"),
    ("a !~ 1", "(!~ a 1)"),
    ("test>12", "(> test 12)"),
    ('test >="test"', "(>= test 'test')"),
    ("test<@demo.test2", "(< test @demo.test2)"),
    ('1<="test"', "(<= 1 'test')"),
    ('1<="te\'st"', '(<= 1 "te\'st")'),
    ("demo='te\\'st'", '(= demo "te\'st")'),
    ('demo="te\\"st"', "(= demo 'te\"st')"),
    ("a ?= 1", "(?= a 1)"),
    ("a ?!= 1", "(?!= a 1)"),
    ("a ?> 1", "(?> a 1)"),
    ("a ?>= 1", "(?>= a 1)"),
    ("a ?< 1", "(?< a 1)"),
    ("a ?<= 1", "(?<= a 1)"),
    ("a ?~ 1", "(?~ a 1)"),
    ("a ?!~ 1", "(?!~ a 1)"),
    ("a != -1", "(!= a -1)"),
    ("a=-1.5", "(= a -1.5)"),
    ("a = -.5", "(= a -.5)"),
    ("a = 007", "(= a 007)"),
    ("test = 123 // demo", "(= test 123)"),
    ("test = // demo\n123", "(= test 123)"),
    ("\n\ta = 123 &&\n\t// demo\n\tb = 456\n", "(&& (= a 123) (= b 456))"),
    ("test() = 12", "(= test() 12)"),
    ("(a.b.c(1) = d.e.f(2)) || 1=2", "(|| [(= a.b.c(1) d.e.f(2))] (= 1 2))"),
    ("(a=1)", "[(= a 1)]"),
    ('(a="test(")', "[(= a 'test(')]"),
    ('(a="test)")', "[(= a 'test)')]"),
    ("((a=1))", "[[(= a 1)]]"),
    ("a=1 || 2!=3", "(|| (= a 1) (!= 2 3))"),
    ("a=1 && 2!=3", "(&& (= a 1) (!= 2 3))"),
    ('a=1 && 2!=3 || "b"=a', "(|| (&& (= a 1) (!= 2 3)) (= 'b' a))"),
    ('(a=1 && 2!=3) || "b"=a', "(|| [(&& (= a 1) (!= 2 3))] (= 'b' a))"),
    ("((a=1 || a=2) && (c=1))", "[(&& [(|| (= a 1) (= a 2))] [(= c 1)])]"),
    ("a=1 || b=2 && c=3", "(|| (= a 1) (&& (= b 2) (= c 3)))"),
    ("a=1 && b=2 || c=3 && d=4", "(|| (&& (= a 1) (= b 2)) (&& (= c 3) (= d 4)))"),
    ("(a=1) && (b=2)", "(&& [(= a 1)] [(= b 2)])"),
    ("(a='\"')", "[(= a '\"')]"),
    ("(a='\\'')", '[(= a "\'")]'),
    ('(a="\'")', '[(= a "\'")]'),
    ('(a="\\"")', "[(= a '\"')]"),
    ("@request.auth.id != ''", "(!= @request.auth.id '')"),
    ("@collection.users:u.name ?= 'x'", "(?= @collection.users:u.name 'x')"),
    ("tags:length > 1 && tags:each != 'z'", "(&& (> tags:length 1) (!= tags:each 'z'))"),
    ("title:lower = 'hello'", "(= title:lower 'hello')"),
    ("#x.y = _a", "(= #x.y _a)"),
    ("@request.body.x:isset = true", "(= @request.body.x:isset true)"),
    ("created > @now && null != false", "(&& (> created @now) (!= null false))"),
    ("geoDistance(lon, lat, 1.5, -2) < 25", "(< geoDistance(lon, lat, 1.5, -2) 25)"),
    (
        "strftime('%Y-%m', created, 'start of month') = '2024-01'",
        "(= strftime('%Y-%m', created, 'start of month') '2024-01')",
    ),
    ("test(a, b,  ) = 1", "(= test(a, b) 1)"),
    ("test(a, //c\n b) = 1", "(= test(a, b) 1)"),
    ("test( 'a)' , \"b,c\" ) = 1", "(= test('a)', 'b,c') 1)"),
    ("a(b(c(1))) = 1", "(= a(b(c(1))) 1)"),
    ("@a.b.c:test(true) = 1", "(= @a.b.c:test(true) 1)"),
    ("title = 'АБЦ ✓'", "(= title 'АБЦ ✓')"),
    ("a\t=\n1", "(= a 1)"),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=repr)
def test_parse_valid(text: str, expected: str) -> None:
    assert show(parse_filter(text)) == expected


INVALID = [
    ("", "empty filter expression", 0),
    ("   ", "empty filter expression", 0),
    ("// demo", "empty filter expression", 0),
    ("()", "empty filter expression", 0),
    ("a = 1 && ( // x\n)", "empty filter expression", 9),
    ("> 1", "expected left operand", 0),
    ("a >", "invalid or incomplete filter expression", 3),
    ("a > >", "expected right operand", 4),
    ("a > %", "unexpected character '%'", 4),
    ("a ! 1", "invalid sign operator \"!\"", 2),
    ("a =! 1", "invalid sign operator \"=!\"", 2),
    ("a - 1", "invalid number \"-\"", 2),
    ("a + 1", "unexpected character '+'", 2),
    ("1 + 1", "unexpected character '+'", 2),
    ("a || 1", "expected a sign operator", 2),
    ("a && 1", "expected a sign operator", 2),
    ("test > 1 &&", "invalid or incomplete filter expression", 11),
    ("|| test = 1", "expected left operand", 0),
    ("test = 1 && ||", "expected left operand", 12),
    ("test = 1 && a", "invalid or incomplete filter expression", 13),
    ('test = 1 && "a"', "invalid or incomplete filter expression", 15),
    ("test = 1 a", "expected && or ||", 9),
    ('test = 1 "a"', "expected && or ||", 9),
    ("test = 1@test", "expected && or ||", 8),
    ("test = .@test", "unexpected character '.'", 7),
    ("a = 12-3", "expected && or ||", 6),
    ("a = 1.2.3", "unexpected character '.'", 7),
    ("a = 5.", "invalid number \"5.\"", 4),
    ("a = 1 &&& b = 2", "invalid join operator \"&&&\"", 6),
    ("a = 1 & b = 2", "invalid join operator \"&\"", 6),
    ("a = 1 &&|| b = 2", "invalid join operator", 6),
    ("test = \"demo'", "invalid quoted text", 7),
    ("test = 'demo\"", "invalid quoted text", 7),
    ("test = 'demo''", "invalid quoted text", 13),
    ('test = "demo""', "invalid quoted text", 13),
    ('test = ""demo""', "expected && or ||", 9),
    ("test = `demo`", "unexpected character '`'", 7),
    ("test = 'ends with backslash\\'", "invalid quoted text", 7),
    ("test = / demo", "invalid comment", 7),
    ("test = // demo", "invalid or incomplete filter expression", 14),
    ("(a=1", "missing 1 closing bracket(s)", 0),
    ("((a=1)", "missing 1 closing bracket(s)", 0),
    ("a=1)", "unexpected character ')'", 3),
    ("{a=1}", "unexpected character '{'", 0),
    ("[a=1]", "unexpected character '['", 0),
    ("((a=1 || a=2) && c=1))", "unexpected character ')'", 21),
    ("(a = 'x) = 1", "invalid quoted text", 5),
    # NOTE: like fexpr, a group ends at the first ")" outside quotes, even inside a comment.
    ("(a = 1 // )\n)", "unexpected character ')'", 12),
    ("(a=1) = 2", "expected && or ||", 6),
    ("(a = 1 && b)", "invalid or incomplete filter expression", 11),
    ("((a = 1) && (b = ))", "invalid or incomplete filter expression", 17),
    ("((a = 1) && (b = %))", "unexpected character '%'", 17),
    # fexpr silently accepts these (dropping "a =" / joining with &&); pybase rejects them.
    ("a = (b = 1)", "expected right operand", 4),
    ("a (b = 1)", "expected a sign operator", 2),
    ("(a=1) (b=2)", "expected && or ||", 6),
    ("a(b(c(d(1)))) = 1", "max nested function arguments reached", 6),
    ("test(a,,) = 1", "unexpected comma", 7),
    ("test(,a) = 1", "unexpected comma", 5),
    ("test(a b) = 1", "expected comma", 7),
    ("test(a //x) = 1", "invalid or incomplete function \"test\"", 0),
    ("test(a = 1", "expected comma", 7),
    ("a = test(a, 'b'", "invalid or incomplete function \"test\"", 4),
    ("test(a, =) = 1", "unsupported argument character \"=\"", 8),
    ("test(a, (b)) = 1", "unsupported argument character \"(\"", 8),
    ("test(a, / b) = 1", "invalid comment", 8),
    ("test(a:) = 1", "invalid identifier \"a:\"", 5),
    ("test: = 1", "invalid identifier \"test:\"", 0),
    ("a. = 1", "invalid identifier \"a.\"", 0),
    ("@ = 1", "invalid identifier \"@\"", 0),
    ("_ = 1", "invalid identifier \"_\"", 0),
    ("# = 1", "invalid identifier \"#\"", 0),
    ("a.(1) = 1", "invalid function name \"a.\"", 0),
    ("a\r= 1", "unexpected character '\\r'", 1),
    ("a = 1\x00", "unexpected character '\\x00'", 5),
    ("a = 1 || b ~ 'x' && c", "invalid or incomplete filter expression", 21),
]


@pytest.mark.parametrize(("text", "message", "position"), INVALID, ids=repr)
def test_parse_invalid(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    assert message in info.value.message
    assert info.value.position == position
    assert str(position) in str(info.value)


# PocketBase 0.40.6 decodes \n, \r, \t, \\, \' and \" (either quote in either quotes) and keeps
# every other backslash as written (probed: every printable ASCII character after a backslash)
ESCAPES = [
    ("'it\\'s'", "it's"),
    ('"say \\"hi\\""', 'say "hi"'),
    ("'a\\\\b'", "a\\b"),
    ("'ends with backslash\\\\'", "ends with backslash\\"),
    ("'line\\nnext'", "line\nnext"),
    ("'tab\\there\\r'", "tab\there\r"),
    ("'\\u00e9t\\u00C9'", "\\u00e9t\\u00C9"),
    ("'\\ud83d\\ude00'", "\\ud83d\\ude00"),
    ("'\\x41\\U0001F600'", "\\x41\\U0001F600"),
    ("'100\\%'", "100\\%"),
    ("'x\\_y'", "x\\_y"),
    ("'\\q\\u12'", "\\q\\u12"),
    ('"te\\\'st"', "te'st"),
    ("'te\\\"st'", 'te"st'),
    ("'raw\nnewline'", "raw\nnewline"),
    ('"\\u0001\\b\\f\\v\\a\\0\\/"', "\\u0001\\b\\f\\v\\a\\0\\/"),
    ("'\\\\n'", "\\n"),
    ("'a\ud83d b'", "a\ufffd b"),
    # strconv.Quote output, as PocketBase's {:placeholder} replacement produces it
    ('"\'\\"quote_with_backslash\\\\"', "'\"quote_with_backslash\\"),
]


@pytest.mark.parametrize(("literal", "value"), ESCAPES, ids=repr)
def test_text_escapes(literal: str, value: str) -> None:
    node = parse_filter(f"a = {literal}")
    assert isinstance(node, Expr)
    assert isinstance(node.right, Text)
    assert node.right.value == value


def test_number_values() -> None:
    node = parse_filter("a = -.5 || a = 007 || a = " + "9" * 400)
    values = [expr.right.value for expr in iter_expressions(node)]  # type: ignore[union-attr]
    # NOTE: PocketBase's cast.ToFloat64 turns an overflowing literal into 0.
    assert values == [-0.5, 7.0, 0.0]


def test_positions() -> None:
    node = parse_filter("a = 1 || (b ~ 'x' && geoDistance(c, d, 1, 2) > 3)")
    assert isinstance(node, Or)
    group = node.items[1]
    assert isinstance(group, Group)
    assert group.position == 9
    inner = group.node
    assert isinstance(inner, And)
    assert inner.position == 10
    second = inner.items[1]
    assert isinstance(second, Expr)
    assert isinstance(second.left, Function)
    assert (second.position, second.left.position, second.left.args[2].position) == (21, 21, 39)


TOKENS = [
    ("test 123", [(TokenKind.IDENTIFIER, "test", 0), (TokenKind.NUMBER, "123", 5)]),
    ("@test.123:c", [(TokenKind.IDENTIFIER, "@test.123:c", 0)]),
    ("_test_a.123", [(TokenKind.IDENTIFIER, "_test_a.123", 0)]),
    ("12-3", [(TokenKind.NUMBER, "12", 0), (TokenKind.NUMBER, "-3", 2)]),
    ("-123.456", [(TokenKind.NUMBER, "-123.456", 0)]),
    ("&& ||", [(TokenKind.JOIN, "&&", 0), (TokenKind.JOIN, "||", 3)]),
    ("'||test&&'&&123", [(TokenKind.TEXT, "||test&&", 0), (TokenKind.JOIN, "&&", 10)]),
    ("///test\n?!~", [(TokenKind.SIGN, "?!~", 8)]),
    ("((a )b c)", [(TokenKind.GROUP, "(a )b c", 0)]),
    ('("ab)("c)', [(TokenKind.GROUP, '"ab)("c', 0)]),
    ("( func(1, 2, func(4)) a )", [(TokenKind.GROUP, " func(1, 2, func(4)) a ", 0)]),
    ("test(a, b,  )", [(TokenKind.FUNCTION, "test", 0)]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS, ids=repr)
def test_tokenize(text: str, expected: list[tuple[TokenKind, str, int]]) -> None:
    tokens = tokenize(text)
    assert [(token.kind, token.value, token.position) for token in tokens[: len(expected)]] == (
        expected
    )


def test_function_token_arguments() -> None:
    (token,) = tokenize("test(a, test(test(b), c), 'd')")
    assert [arg.kind for arg in token.args] == [
        TokenKind.IDENTIFIER,
        TokenKind.FUNCTION,
        TokenKind.TEXT,
    ]
    assert [arg.value for arg in token.args[1].args] == ["test", "c"]
    assert token.end == 30


def test_expression_limit() -> None:
    exactly = " || ".join(["a = 1"] * MAX_FILTER_EXPRESSIONS)
    assert len(iter_expressions(parse_filter(exactly))) == MAX_FILTER_EXPRESSIONS
    with pytest.raises(FilterError, match="max filter expressions") as info:
        parse_filter(exactly + " && (b = 2)")
    assert info.value.position == len(exactly) + 5
    assert len(iter_expressions(parse_filter("a=1 && (a=1 || a=1)", max_expressions=3))) == 3
    with pytest.raises(FilterError):
        parse_filter("(1=1 || 1=1) && (1=1 || (1=1 || 1=1)) && (1=1)", max_expressions=5)


def test_length_limit_counts_utf8_bytes() -> None:
    fits = "a = '" + "x" * (MAX_FILTER_LENGTH - 6) + "'"
    assert len(fits) == MAX_FILTER_LENGTH
    parse_filter(fits)
    with pytest.raises(FilterError, match="max filter length"):
        parse_filter(fits + " ")
    with pytest.raises(FilterError, match="max filter length"):
        parse_filter("a = '" + "é" * 1800 + "'")
    assert isinstance(parse_filter(fits + " ", max_length=None), Expr)


def test_group_depth_limit() -> None:
    deepest = "(" * MAX_GROUP_DEPTH + "a = 1" + ")" * MAX_GROUP_DEPTH
    parse_filter(deepest)
    with pytest.raises(FilterError, match="max nested parenthesis depth") as info:
        parse_filter("(" + deepest + ")")
    assert info.value.position == MAX_GROUP_DEPTH


def test_parse_is_cached_and_ast_is_immutable() -> None:
    first = parse_filter("cached = 'yes' && other > 1")
    assert parse_filter("cached = 'yes' && other > 1") is first
    with pytest.raises(AttributeError):
        first.position = 3  # type: ignore[misc]


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(FilterError):
        parse_filter(None)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_parse_random_text_only_raises_filter_error(text: str) -> None:
    try:
        parse_filter(text)
    except FilterError:
        pass


FRAGMENTS = ["a", "b.c", "@x", "(", ")", "=", "?!=", "~", "&&", "||", "'s'", '"d\\"', "1", "-2.5"]
FRAGMENTS += ["f(", ",", "//c\n", " ", "\t", "'", "\\", ":", ".", "!", "?", "@", "#"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_parse_random_fragments_only_raises_filter_error(text: str) -> None:
    try:
        node = parse_filter(text)
    except FilterError as ex:
        assert 0 <= ex.position <= len(text)
    else:
        assert iter_expressions(node)


# --- sort -------------------------------------------------------------------------------------

SORTS = [
    ("", []),
    ("   ", []),
    ("-a,+b,c", [SortField("a", True), SortField("b", False), SortField("c", False)]),
    (" -a , b ", [SortField("a", True), SortField("b", False)]),
    ("@random,-@rowid", [SortField("@random", False), SortField("@rowid", True)]),
    ("--a", [SortField("-a", True)]),
    ("rel.name", [SortField("rel.name", False)]),
]


@pytest.mark.parametrize(("text", "expected"), SORTS, ids=repr)
def test_parse_sort(text: str, expected: list[SortField]) -> None:
    assert parse_sort(text) == expected


SORT_ERRORS = [
    ("-title,,", "empty name", 7),
    (",a", "empty name", 0),
    ("a, -", "empty name", 3),
    ("a,b,c,d,e,f,g,h,i", "max sort expressions", 16),
    ("a," + "x" * 256, "max sort field length", 2),
    ("-" + "é" * 128, "max sort field length", 0),
]


@pytest.mark.parametrize(("text", "message", "position"), SORT_ERRORS, ids=repr)
def test_parse_sort_invalid(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError, match=message) as info:
        parse_sort(text)
    assert info.value.position == position


def test_parse_sort_limits_boundaries() -> None:
    assert len(parse_sort(",".join("abcdefgh"))) == 8
    assert parse_sort("-" + "x" * 255) == [SortField("x" * 255, True)]


def test_compile_sort() -> None:
    from sqlalchemy import column
    from sqlalchemy.dialects import sqlite

    resolver = SimpleResolver({"title": column("title"), "created": column("created")})
    clauses = compile_sort(
        parse_sort("-created,title,@random,@rowid"), resolver, rowid=column("_rowid_")
    )
    rendered = [str(clause.compile(dialect=sqlite.dialect())) for clause in clauses]
    assert rendered == ["created DESC", "title ASC", "random()", "_rowid_ ASC"]
    for bad in ("unknown", "@rowid", "null"):
        with pytest.raises(FilterError, match="invalid sort field"):
            compile_sort(parse_sort(bad), resolver)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_sort_random_text_only_raises_filter_error(text: str) -> None:
    try:
        parse_sort(text)
    except FilterError:
        pass


# Go's strconv.Quote (%q) of each, as Go 1.24 prints it
GO_QUOTED = [
    ("plain", '"plain"'),
    ('say "hi" \\ ok', '"say \\"hi\\" \\\\ ok"'),
    ("\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
    ("\x00\x01\x1f\x7f", '"\\x00\\x01\\x1f\\x7f"'),
    ("\u00ad\u200b\u2028\u00a0", '"\\u00ad\\u200b\\u2028\\u00a0"'),
    ("\U000e0001", '"\\U000e0001"'),
    ("été 😀 ü", '"été 😀 ü"'),
    ("'single'", "\"'single'\""),
]


@pytest.mark.parametrize(("value", "quoted"), GO_QUOTED, ids=repr)
def test_go_quote(value: str, quoted: str) -> None:
    assert go_quote(value) == quoted
