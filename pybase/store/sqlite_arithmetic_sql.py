"""The Postgres functions behind SQLite's arithmetic in a view (:mod:`pybase.store.sqlite_functions_sql`
gathers them with the others): a + b, a - b, a * b, a / b, a % b as SQLite computes them, a
double's range kept as SQLite's (an infinity, 0, NULL by 0) and integers in 64 bits.
"""

from __future__ import annotations

ARITHMETIC_HELPERS = r"""
-- ---- arithmetic -------------------------------------------------------------------------

-- SQLite's a + b, a - b, a * b, a / b in a view: a double past the range is an infinity, one
-- below it 0, a division by 0 NULL, two integers stay integers (held in 64 bits, not 32).
-- Postgres raises "value out of range: overflow/underflow", "integer out of range" and
-- "division by zero" instead. pb_add (...) for number columns and literals: checks each
-- operand's size, then Postgres's operator (inlined into the query, ~10 operators); the
-- pb_add_nested (...) ones for any other operand (another operation, a function): plpgsql
-- (~0.5 us), as a costly operand used twice stops Postgres inlining an SQL function, whose
-- call then costs ~20 us.

-- A number past a double's range as SQLite's double arithmetic ends (an infinity, 0; NULL for
-- NaN, which SQLite has not); within it the nearest double.
CREATE OR REPLACE FUNCTION pb_double(x numeric) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF x IS NULL OR x = 'NaN' THEN RETURN NULL; END IF;
    IF abs(x) >= 179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792 THEN
        RETURN CASE WHEN x > 0 THEN CAST('Infinity' AS double precision) ELSE CAST('-Infinity' AS double precision) END;
    END IF;
    IF abs(x) < 2.4703282292062328e-324 THEN
        RETURN CASE WHEN x < 0 THEN CAST('-0' AS double precision) ELSE 0 END;
    END IF;
    RETURN CAST(x AS double precision);
END $$;

-- An operand as SQLite reads it: a number as it is, a text (a JSON column's too) as the number
-- it starts with (0 without one), a truth as 1/0.
CREATE OR REPLACE FUNCTION pb_arith_arg(value integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value numeric) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS double precision) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_real_arg(value) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_real_arg(value) $$;

CREATE OR REPLACE FUNCTION pb_arith_arg(value boolean) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS integer) $$;

-- A double exactly as a numeric (its shortest text: a cast to numeric keeps 15 digits). A
-- dividend gets at least 20 decimals (more digits), so that a quotient has those a double needs
-- (added, not rounded to: a dividend below 1e-20 rounded to 20 decimals was 0).
CREATE OR REPLACE FUNCTION pb_exact(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(x AS text) AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_add(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) + b $$;

CREATE OR REPLACE FUNCTION pb_add(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;

CREATE OR REPLACE FUNCTION pb_add(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(a) < 8e307 AND abs(b) < 8e307 THEN a + b ELSE pb_double(pb_exact(a) + pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_sub(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) - b $$;

CREATE OR REPLACE FUNCTION pb_sub(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a - b $$;

CREATE OR REPLACE FUNCTION pb_sub(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(a) < 8e307 AND abs(b) < 8e307 THEN a - b ELSE pb_double(pb_exact(a) - pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_mul(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) * b $$;

CREATE OR REPLACE FUNCTION pb_mul(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a * b $$;

CREATE OR REPLACE FUNCTION pb_mul(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND (abs(b) BETWEEN 1e-150 AND 1e150 OR b = 0)
        THEN a * b ELSE pb_double(pb_exact(a) * pb_exact(b)) END
$$;

CREATE OR REPLACE FUNCTION pb_div(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(a AS bigint) / NULLIF(b, 0) $$;

CREATE OR REPLACE FUNCTION pb_div(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT a / NULLIF(b, 0) $$;

CREATE OR REPLACE FUNCTION pb_div(a double precision, b double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN b = 0 THEN NULL
        WHEN (abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND abs(b) BETWEEN 1e-150 AND 1e150 THEN a / b
        ELSE pb_double((pb_exact(a) + 0.00000000000000000000) / pb_exact(b)) END
$$;

-- SQLite's value of an operation as pb_sqlite_value's, a REAL (is_real: as its operands make it)
-- with a point: a jsonb number 4.0 (pb_text writes '4.0'), an integer as one; an infinity as a
-- number past any double, +-1e400 (jsonb holds none: to_jsonb writes the text "Infinity").
-- PERF: plpgsql (~1 us): its argument, an operation, is costly and read several times, which
-- stops Postgres inlining an SQL function (whose call then costs ~10 us a row)
CREATE OR REPLACE FUNCTION pb_sqlite_number(x double precision, is_real boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF x = trunc(x) AND abs(x) < 9223372036854775807 THEN
        IF is_real THEN RETURN to_jsonb(CAST(CAST(x AS bigint) AS numeric) + 0.0); END IF;
        IF NOT is_real THEN RETURN to_jsonb(CAST(x AS bigint)); END IF;
    END IF;
    IF x = 'Infinity' THEN RETURN CAST('1e400' AS jsonb); END IF;
    IF x = '-Infinity' THEN RETURN CAST('-1e400' AS jsonb); END IF;
    RETURN pb_sqlite_value(x);
END $$;

CREATE OR REPLACE FUNCTION pb_sqlite_number(x bigint, is_real boolean) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb(x) $$;

-- Whether a number field's value is one SQLite holds as an integer (integral, within 64 bits).
CREATE OR REPLACE FUNCTION pb_is_integer(x double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT abs(x) < 9223372036854775807 AND x = trunc(x) $$;

-- Whether a text is an integer to SQLite's arithmetic: its number (0 without one) has no point
-- or exponent, and is within 64 bits.
CREATE OR REPLACE FUNCTION pb_is_integer_text(x text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT x !~ '^\s*[-+]?([0-9]*\.[0-9]|[0-9]+\.|[0-9]+[eE][-+]?[0-9])' AND pb_is_integer(pb_num_prefix(x))
$$;

-- SQLite's a / b when ``ints`` (the number fields read hold integers): an integer division
-- (toward 0, NULL by 0), else pb_div's.
CREATE OR REPLACE FUNCTION pb_idiv(a double precision, b double precision, ints boolean) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints AND abs(a) < 9223372036854775807 AND abs(b) < 9223372036854775807
        THEN CAST(CAST(a AS bigint) / NULLIF(CAST(b AS bigint), 0) AS double precision) ELSE pb_div(a, b) END
$$;

CREATE OR REPLACE FUNCTION pb_idiv_nested(a double precision, b double precision, ints boolean) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ints AND abs(a) < 9223372036854775807 AND abs(b) < 9223372036854775807 THEN
        RETURN CAST(CAST(a AS bigint) / NULLIF(CAST(b AS bigint), 0) AS double precision);
    END IF;
    RETURN pb_div_nested(a, b);
END $$;
"""


def _nested(op: str, sign: str, check: str) -> str:
    """The plpgsql variants of the double operation ``op`` (``check``: when Postgres's own
    operator answers) and the integer ones under the same name."""
    return f"""
CREATE OR REPLACE FUNCTION pb_{op}_nested(a integer, b integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_{op}(a, b) $$;

CREATE OR REPLACE FUNCTION pb_{op}_nested(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_{op}(a, b) $$;

CREATE OR REPLACE FUNCTION pb_{op}_nested(a double precision, b double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF {check} THEN RETURN a {sign} b; END IF;
    RETURN pb_{op}(a, b);
END $$;
"""


ARITHMETIC_HELPERS += (
    _nested("add", "+", "abs(a) < 8e307 AND abs(b) < 8e307")
    + _nested("sub", "-", "abs(a) < 8e307 AND abs(b) < 8e307")
    + _nested("mul", "*", "(abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND (abs(b) BETWEEN 1e-150 AND 1e150 OR b = 0)")
    + _nested("div", "/", "(abs(a) BETWEEN 1e-150 AND 1e150 OR a = 0) AND abs(b) BETWEEN 1e-150 AND 1e150")
)

INTEGER_HELPERS = r"""
-- ---- integers past 2^53 ------------------------------------------------------------------

-- SQLite computes an operation of integers (a number field's integral value is held as one) in
-- 64 bits, a REAL only past them; Postgres's doubles keep 53. An operation whose values SQLite
-- may hold as integers (view_arithmetic.arithmetic: ``ints``, the tests that they are) is computed in
-- numeric, which holds either exactly: the integer when ``ints``, else the double SQLite
-- computes, with a point (pb_real_numeric: 4.0; its class is kept where it is read again).
-- pb_int_add (...) for number columns and literals (inlined: each costly argument is used
-- once), pb_int_add_nested (...) for any other operand (plpgsql, as pb_add_nested).

-- A double's exact value (an integral one within 64 bits through bigint; another through its
-- shortest text, which reads back as the same double).
CREATE OR REPLACE FUNCTION pb_inum(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x = trunc(x) AND abs(x) < 9223372036854775807 THEN CAST(CAST(x AS bigint) AS numeric)
        ELSE CAST(CAST(x AS text) AS numeric) END
$$;

-- A REAL's exact value as a numeric with a point (4.0: pb_typeof and pb_text read a REAL).
-- NOTE: x once: an operation's CASE as the argument keeps the function inlined
CREATE OR REPLACE FUNCTION pb_real_numeric(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(x AS text) AS numeric) + 0.0 $$;

-- An integer SQLite computed, or past 64 bits the REAL it computes instead (``approx``).
CREATE OR REPLACE FUNCTION pb_int_or_real(exact numeric, approx double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN exact BETWEEN -9223372036854775808 AND 9223372036854775807 THEN exact
        ELSE pb_real_numeric(approx) END
$$;

-- An operand as SQLite's arithmetic reads it (pb_arith_arg), exactly: a text that is an integer
-- its 64 bits.
CREATE OR REPLACE FUNCTION pb_exact_arg(value double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_inum(value) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT value $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value integer) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(value AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT CAST(CAST(value AS integer) AS numeric) $$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value text) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN pb_is_integer_text(value) THEN CAST(pb_int_prefix(value) AS numeric) ELSE pb_inum(pb_real_arg(value)) END
$$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' AND abs(CAST(value AS numeric)) < 1e308 THEN CAST(value AS numeric)
        ELSE pb_exact_arg(pb_text(pb_stored_json(value))) END
$$;

-- ... a SQL value (pb_sqlite_value's jsonb: json_extract()'s, a json_each() value): a number
-- as it is (past a double's range its infinity; numeric holds one), a string as a text.
-- NOTE: pb_exact_arg(jsonb) reads a json field's value (a string is its JSON text, quoted).
CREATE OR REPLACE FUNCTION pb_sql_exact_arg(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL WHEN jsonb_typeof(value) <> 'number' THEN pb_exact_arg(value #>> '{}')
        WHEN abs(CAST(value AS numeric)) < 1e308 THEN CAST(value AS numeric) ELSE pb_inum(pb_json_double(value)) END
$$;

-- ... as pb_arith_arg reads it: a number its double, a string as a text.
CREATE OR REPLACE FUNCTION pb_sql_arith_arg(value jsonb) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN NULL WHEN jsonb_typeof(value) = 'number' THEN pb_json_double(value)
        ELSE pb_real_arg(value #>> '{}') END
$$;

CREATE OR REPLACE FUNCTION pb_exact_arg(value anyelement) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_inum(pb_real_arg(value)) $$;


-- Whether a value a view computed is SQLite's INTEGER: a numeric one (pb_int_add..., pb_sum)
-- has no point (a REAL's has: pb_real_numeric), a double one is integral within 64 bits.
CREATE OR REPLACE FUNCTION pb_is_int_value(x numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT scale(x) = 0 AND x BETWEEN -9223372036854775808 AND 9223372036854775807 $$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_integer(x) $$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT x IS NOT NULL $$;

-- ... a view's json column read by a query over the view: its number as SQLite held it (4.0 a
-- REAL: pb_real_numeric kept its point), a text as SQLite's arithmetic reads it.
CREATE OR REPLACE FUNCTION pb_is_int_value(x jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(x) = 'number' THEN (x #>> '{}') ~ '^-?[0-9]+$'
            AND CAST(x AS numeric) BETWEEN -9223372036854775808 AND 9223372036854775807
        ELSE pb_is_integer_text(x #>> '{}') END
$$;

CREATE OR REPLACE FUNCTION pb_is_int_value(x text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_integer_text(x) $$;

-- ... a view's number column over a REAL it computed (CAST(n AS REAL): numeric, with a point).
CREATE OR REPLACE FUNCTION pb_is_integer(x numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT pb_is_int_value(x) $$;

-- SQLite's "integer overflow" (a sum of integers past 64 bits, ``total``). NOTE: of an argument:
-- Postgres computes a call of constants (none) when it plans the query.
CREATE OR REPLACE FUNCTION pb_integer_overflow(total numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION 'integer overflow' USING ERRCODE = '22003';
END $$;

-- SQLite's sum() of a number field (or of values that may be integers): of integers an
-- integer (``total``: the exact sum of the values, pb_inum's; ``ints``: whether every value
-- summed is an integer), past 64 bits SQLite's error; else the REAL.
CREATE OR REPLACE FUNCTION pb_sum(total numeric, ints boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints AND total NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN pb_integer_overflow(total)
        WHEN ints THEN total
        ELSE pb_real_numeric(CAST(total AS double precision)) END
$$;

-- SQLite's value of an operation computed in numeric (see pb_sqlite_number's double one).
CREATE OR REPLACE FUNCTION pb_sqlite_number(x numeric, is_real boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF NOT is_real AND x = trunc(x) AND x BETWEEN -9223372036854775808 AND 9223372036854775807 THEN RETURN to_jsonb(x); END IF;
    RETURN pb_sqlite_number(CAST(x AS double precision), is_real);
END $$;

-- SQLite's a % b of exact values: the remainder of the integers read (within 64 bits), NULL for 0.
CREATE OR REPLACE FUNCTION pb_int_mod(a numeric, b numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN trunc(b) = 0 THEN NULL ELSE mod(
        greatest(-9223372036854775808, least(9223372036854775807, trunc(a))),
        greatest(-9223372036854775808, least(9223372036854775807, trunc(b)))) END
$$;
"""


def _exact(op: str, exact: str, real: str) -> str:
    """pb_int_<op> (number columns and literals: a double, or a bigint literal) and
    pb_int_<op>_nested (numeric operands) of the integer operation ``exact`` (of numerics
    ``x``, ``y``) and the double one ``real`` (of ``a``, ``b``)."""
    out = ""
    for a_type, b_type in (("double precision", "double precision"), ("double precision", "bigint"), ("bigint", "double precision")):
        x, y = (f"CAST(CAST({v} AS bigint) AS numeric)" if t != "bigint" else f"CAST({v} AS numeric)" for v, t in (("a", a_type), ("b", b_type)))
        da, db = (f"CAST({v} AS double precision)" if t == "bigint" else v for v, t in (("a", a_type), ("b", b_type)))
        out += f"""
CREATE OR REPLACE FUNCTION pb_int_{op}(a {a_type}, b {b_type}, ints boolean) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ints THEN {exact.format(x=x, y=y, a=da, b=db)} ELSE pb_real_numeric({real.format(a=da, b=db)}) END
$$;
"""
    return out + f"""
CREATE OR REPLACE FUNCTION pb_int_{op}_nested(x numeric, y numeric, ints boolean) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ints THEN RETURN {exact.format(x="x", y="y", a="CAST(x AS double precision)", b="CAST(y AS double precision)")}; END IF;
    RETURN pb_real_numeric({real.format(a="CAST(x AS double precision)", b="CAST(y AS double precision)")});
END $$;
"""


INTEGER_HELPERS += (
    _exact("add", "pb_int_or_real({x} + {y}, {a} + {b})", "pb_add({a}, {b})")
    + _exact("sub", "pb_int_or_real({x} - {y}, {a} - {b})", "pb_sub({a}, {b})")
    + _exact("mul", "pb_int_or_real({x} * {y}, {a} * {b})", "pb_mul({a}, {b})")
    # NOTE: toward 0, NULL by 0; -2^63 / -1 the REAL 2^63
    + _exact("div", "pb_int_or_real(div({x}, NULLIF({y}, 0)), {a} / NULLIF({b}, 0))", "pb_div({a}, {b})")
)
