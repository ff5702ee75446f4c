"""The `cjson` library in scripts, against redis-server 7.0: encoding (arrays and objects, sparse
arrays, numbers, escapes, nesting), decoding (every token, strtod's numbers, escapes, each
error and its character position, the order `pairs` visits a decoded object in), and the
settings, which last across scripts on both servers (so a script that changes one puts it
back). A generated test sends random JSON-like texts through decode and encode on both."""

from __future__ import annotations

import json

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Differential

ENCODE = [
    'return cjson.encode(redis)', 'return cjson.encode({a = string})',
    'return cjson.encode({1,2,3})',
    'return cjson.encode({})',
    'return cjson.encode({a=1})',
    "return cjson.encode({a=1,b=2,c={1,2},d='x'})",
    'return cjson.encode(\'a"b\\\\c/d\\n\\r\\t\\b\\f\\1\\31\\127\\128\\255\')',
    'return cjson.encode(0.1)',
    'return cjson.encode(1/3)',
    'return cjson.encode(1e20)',
    'return cjson.encode(123456789012345678)',
    'return cjson.encode(1e-7)',
    'return cjson.encode(1/0)',
    'return cjson.encode(0/0)',
    'return cjson.encode(nil)',
    'return cjson.encode(true)',
    'return cjson.encode()',
    'return cjson.encode(1, 2)',
    'return cjson.encode(cjson.null)',
    'return cjson.encode({cjson.null, 1})',
    'return cjson.encode({[1]=1,[2]=2,[4]=4})',
    'return cjson.encode({[1]=1,[20]=2})',
    'return cjson.encode({[1]=1,[11]=2})',
    'return cjson.encode({[1]=1,[10]=2})',
    'return cjson.encode({[0]=1})',
    'return cjson.encode({[-1]=1})',
    'return cjson.encode({[1.5]=1})',
    'return cjson.encode({[true]=1})',
    'return cjson.encode({[{}]=1})',
    'return cjson.encode({f=function() end})',
    'return cjson.encode(coroutine.create(function() end))',
    'return cjson.encode({1,2,x=3})',
    'return cjson.encode({{{{}}}})',
    'return cjson.encode(KEYS)',
    'return cjson.encode({[1/0]=1})',
    'return cjson.encode({[2^53]=1})',
    'return cjson.encode({[2^31]=1})',
    "local t = {} for i=1,50 do t['k'..i]=i end return cjson.encode(t)",
    'local t = {} for i=1,30 do t[i*7]=i end return cjson.encode(t)',
    "return cjson.encode(string.rep('x', 100))",
    'return cjson.encode({1.5, -2.25, 1e300, 5e-324, 2^63, -2^63})',
    'return cjson.encode(bit.band)',
    'return cjson.encode({redis.call})',
    'return cjson.encode(math.huge)',
    'return cjson.null',
    'return tostring(cjson.null)',
    'return type(cjson.null)',
    'return {cjson._NAME, cjson._VERSION}',
    'cjson.x = 1',
    'cjson.encode = nil',
    'local r = {} for k,v in pairs(cjson) do r[#r+1]=k end return r',
    'local ok, e = pcall(cjson.encode, function() end) return e',
    "return cjson.encode({[1]='a', [2]='b', x=nil})",
    "return cjson.encode({['1']=1})",
    "return cjson.encode({[1]=1, ['2']=2})",
    'return cjson.encode(setmetatable({}, {__index={1,2}}))',
    'return cjson.encode(-1e-320)',
    'return cjson.encode(12345678901234567890)',
    'return cjson.encode(0.1+0.2)',
    'return cjson.encode(100)',
    'return cjson.encode(-100.5)',
    'local t = {} t[1] = t local ok, e = pcall(cjson.encode, t) return e',
    'return cjson.encode({a={}, b={{}}, c={[1]={}}})',
    'return cjson.encode({["a\\0b"]=1})',
    'return cjson.encode({1, nil, 3})',
    'return cjson.encode({nil, nil, 3})',
    'return cjson.encode({[3]=1})',
    'return cjson.encode({[10]=1})',
    'return cjson.encode({[11]=1})',
    'return cjson.encode({[2^31]=1, [1]=2})',
    'return cjson.encode({[1]=2, [2^40]=1})',
    'return cjson.encode({[1/0]=1, [1]=2})',
    "return redis.call('set', 'cj', cjson.encode({x=1}))",
    'return cjson.encode({["é"]="ü"})',
]

DECODE = [
    "return cjson.decode('[1,2,3]')",
    'return cjson.decode(\'{"a":1}\').a',
    'return cjson.decode(\'"x\\\\/y\\\\u00e9\\\\ud83d\\\\ude00"\')',
    'return cjson.decode(\'"\\\\u0000a"\')',
    'return cjson.decode(\'  [ 1 , "a" , true , false ]  \')',
    "return type(cjson.decode('null'))",
    "return cjson.decode('null') == cjson.null",
    "return cjson.decode('[null]')[1] == cjson.null",
    "return cjson.decode('1.5')",
    "return tostring(cjson.decode('1.5e3'))",
    "return tostring(cjson.decode('0x1F'))",
    "return tostring(cjson.decode('-0x1F'))",
    "return tostring(cjson.decode('+5'))",
    "return tostring(cjson.decode('inf'))",
    "return tostring(cjson.decode('-Infinity'))",
    "return tostring(cjson.decode('nan'))",
    "return tostring(cjson.decode('NaN'))",
    "return tostring(cjson.decode('012'))",
    "return tostring(cjson.decode('1e400'))",
    "return cjson.decode('')",
    "return cjson.decode(' ')",
    "return cjson.decode('[')",
    "return cjson.decode('[1,')",
    "return cjson.decode('[1 2]')",
    'return cjson.decode(\'{"a" 1}\')',
    'return cjson.decode(\'{"a":1 "b"}\')',
    "return cjson.decode('{1:2}')",
    'return cjson.decode(\'{"a":}\')',
    'return cjson.decode(\'"abc\')',
    'return cjson.decode(\'"a\\\\qb"\')',
    'return cjson.decode(\'"a\\\\u12"\')',
    'return cjson.decode(\'"a\\\\ud800"\')',
    'return cjson.decode(\'"a\\\\udc00\\\\u1234"\')',
    'return cjson.decode(\'"a\\\\ud800\\\\u1234"\')',
    "return cjson.decode('tru')",
    "return cjson.decode('nul')",
    "return cjson.decode('-')",
    "return cjson.decode('+')",
    "return cjson.decode('1 2')",
    "return cjson.decode('1x')",
    "return cjson.decode('[1]x')",
    "return cjson.decode('.5')",
    "return cjson.decode('\\0a')",
    "return cjson.decode('a\\0')",
    "return cjson.decode('1\\0garbage')",
    "return cjson.decode('[1,2]\\0garbage')",
    'return cjson.decode()',
    'return cjson.decode(1, 2)',
    'return cjson.decode(nil)',
    'return cjson.decode({})',
    'return cjson.decode(123)',
    'return cjson.decode(true)',
    "return cjson.decode('1e')",
    "return tostring(cjson.decode('1.'))",
    "return tostring(cjson.decode('-.5'))",
    'return cjson.decode(\'"\\\\"\')',
    'return cjson.decode(\'"\\\\\')',
    "return cjson.decode(string.rep('[', 1001))",
    "return cjson.decode(string.rep('[', 1000))",
    'return cjson.decode(string.rep(\'{"a":\', 1001))',
    "return #cjson.decode(string.rep('[', 999) .. string.rep(']', 999))",
    'local t = cjson.decode(\'{"b":1,"a":2,"c":3,"k1":1,"k2":2,"k3":3,"zz":4}\') local r = '
    '{} for k,v in pairs(t) do r[#r+1]=k end return r',
    'local t = {} local s = \'{\' for i=1,40 do s = s .. \'"key\' .. i .. \'":\' .. i .. '
    '\',\' end s = s .. \'"x":0}\' t = cjson.decode(s) local r = {} for k,v in pairs(t) do '
    'r[#r+1]=k end return r',
    'return cjson.encode(cjson.decode(\'{"a":[1,2,{"b":null}],"c":"d"}\'))',
    'local t = cjson.decode(\'{"a":[1,2,{"b":null}],"c":"d","e":{"f":1.25}}\') return '
    'cjson.encode(t)',
    "local ok, e = pcall(cjson.decode, '[') return e",
    "local r = {} for _, s in ipairs({'0x10', '+1', 'inf', 'nan', '01', '-0x1', '-inf', "
    "'Infinity', '1', '-1', '0', '0.5', '-', 'x', 'infinit', 'nan(123)', '0x', '0x.8', "
    "'0x1p4', '1e+2', '1E-2', '-.e1', 'N', 'i', 'I', 'f', 'fals', 'true1', 'nullx', '+-1', "
    "'++1', '--1', '-+1', '00', '0.0e0'}) do local ok, e = pcall(cjson.decode, s) r[#r+1] "
    "= s .. '=' .. tostring(e) end return r",
    'return cjson.decode(\'{"a\\\\u0000b":1}\')["a\\0b"]',
    'return cjson.encode(cjson.decode(\'"\\\\u00ff\\\\u0800\\\\uffff"\'))',
    'return cjson.decode(\'{"a":1,"a":2}\').a',
    "local t = cjson.decode('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]') return #t",
    'local t = cjson.decode(\'{"1":"a","2":"b"}\') return {t[1], t[\'1\']}',
    'return cjson.encode(cjson.decode(\'{"1":"a","2":"b"}\'))',
    "return cjson.decode(redis.call('get', 'cj')).x",
    'return cjson.decode(\'"\\\\u20AC"\')',
    "return cjson.decode('[1,2,3]', 1)",
    "return cjson.decode(' [] ')",
    "return cjson.encode(cjson.decode(' {} '))",
    "return cjson.decode('\\t\\r\\n 5 \\t\\r\\n')",
    "return cjson.decode('\\f5')",
    'return cjson.decode(\'"\\t"\')',
]

SETTINGS = [
    'return cjson.encode_sparse_array()',
    'return {cjson.encode_sparse_array()}',
    'return cjson.encode_max_depth()',
    'return cjson.encode_max_depth(0)',
    "return cjson.encode_max_depth('x')",
    'return cjson.encode_max_depth(1, 2)',
    'return cjson.encode_number_precision(15)',
    'return cjson.encode_number_precision({})',
    "return cjson.encode_keep_buffer('x')",
    'return cjson.encode_keep_buffer({})',
    "return cjson.encode_keep_buffer('on')",
    "return cjson.encode_invalid_numbers('maybe')",
    'return cjson.encode_invalid_numbers()',
    'return cjson.decode_invalid_numbers(1)',
    'return cjson.encode_sparse_array(1)',
    'return cjson.encode_sparse_array(true, -1)',
    'return cjson.encode_sparse_array(true, 2, -1)',
    'return cjson.encode_sparse_array(true, 2, 10, 4)',
    "return cjson.encode_sparse_array(nil, 'x')",
    'return type(cjson.new)',
    'local c = cjson.new() c.encode_number_precision(3) return {c.encode(1/3), cjson.encode(1/3)}',
    'local c = cjson.new() local r = {} for k,v in pairs(c) do r[#r+1]=k end return r',
    'local c = cjson.new() c.x = 1 return c.x',
    'return cjson.encode({cjson.new().null})',
    'cjson.encode_sparse_array(true) local r = cjson.encode({[1]=1,[20]=2}) '
    'cjson.encode_sparse_array(false) return r',
    'local r = {cjson.encode_sparse_array(true, 0)} r[4] = cjson.encode({[1]=1,[200]=2}) '
    'cjson.encode_sparse_array(false, 2, 10) return r',
    'cjson.encode_sparse_array(false, 1, 0) local ok, r = pcall(cjson.encode, '
    '{[1]=1,[3]=2}) cjson.encode_sparse_array(false, 2, 10) return r',
    'cjson.encode_sparse_array(false, 3, 0) local r = cjson.encode({[1]=1,[3]=2}) '
    'cjson.encode_sparse_array(false, 2, 10) return r',
    'cjson.encode_sparse_array(false, 2^31, 0) local ok, r = pcall(cjson.encode, '
    '{[1]=1,[3]=2}) cjson.encode_sparse_array(false, 2, 10) return {r, '
    'cjson.encode_sparse_array()}',
    'cjson.encode_number_precision(3) local r = cjson.encode({1/3, 123456, 0.1}) '
    'cjson.encode_number_precision(14) return r',
    'cjson.encode_number_precision(1) local r = cjson.encode(15) '
    'cjson.encode_number_precision(14) return r',
    "local r = cjson.encode_number_precision('12') cjson.encode_number_precision(14) return r",
    'cjson.encode_invalid_numbers(true) local r = cjson.encode({1/0, -1/0, 0/0}) '
    'cjson.encode_invalid_numbers(false) return r',
    "cjson.encode_invalid_numbers('null') local r = {cjson.encode({1/0, -1/0, 0/0}), "
    'cjson.encode_invalid_numbers(), cjson.encode({[1/0]=1})} '
    "cjson.encode_invalid_numbers('off') return r",
    "cjson.encode_invalid_numbers('on') local r = {cjson.encode({[1/0]=1}), "
    'cjson.encode_invalid_numbers()} cjson.encode_invalid_numbers(false) return r',
    "cjson.decode_invalid_numbers(false) local r = {} for _, s in ipairs({'0x10', '+1', "
    "'inf', 'nan', '01', '-0x1', '-inf', 'Infinity', '1', '-1', '0', '0.5', '-', 'x'}) do "
    "local ok, e = pcall(cjson.decode, s) r[#r+1] = s .. '=' .. tostring(e) end "
    'cjson.decode_invalid_numbers(true) return r',
    "cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '[[1]]') local ok2, e2 = "
    "pcall(cjson.decode, '[[[1]]]') local ok3, e3 = pcall(cjson.decode, "
    '\'{"a":{"b":{}}}\') cjson.decode_max_depth(1000) return {tostring(ok), tostring(e2), '
    'tostring(e3)}',
    'cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{1}}) local ok2, e2 = '
    'pcall(cjson.encode, {{{1}}}) cjson.encode_max_depth(1000) return {e, e2}',
    'cjson.encode_max_depth(100000) local t = {} t[1] = t local ok, e = '
    'pcall(cjson.encode, t) cjson.encode_max_depth(1000) return e',
    'cjson.encode_max_depth(100000) local t = {} t.a = t local ok, e = pcall(cjson.encode, '
    't) cjson.encode_max_depth(1000) return e',
    'cjson.encode_max_depth(100000) local t = {} local u = {x = t} t[1] = u local ok, e = '
    'pcall(cjson.encode, t) cjson.encode_max_depth(1000) return e',
    "cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, string.rep('[', "
    '9000)) cjson.decode_max_depth(1000) return e',
    'cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, '
    'string.rep(\'{"a":\', 9000)) cjson.decode_max_depth(1000) return e',
    'cjson.decode_max_depth(100000) local ok, e = pcall(cjson.decode, '
    'string.rep(\'{"a":[\', 9000)) cjson.decode_max_depth(1000) return e',
    'cjson.encode_max_depth(2^32 + 5) local r = cjson.encode_max_depth() '
    'cjson.encode_max_depth(1000) return r',
    'local r = cjson.encode_max_depth(7.9) cjson.encode_max_depth(1000) return r',
    'local r = {cjson.encode_keep_buffer(false), cjson.encode_keep_buffer(), '
    "cjson.encode_keep_buffer('on')} return r",
    'return cjson.encode_keep_buffer(nil)',
    'local c = cjson.new() return c.null == cjson.null',
]


@pytest.mark.parametrize("script", ENCODE)
def test_encode(both: Differential, script: str) -> None:
    both("EVAL", script, 0)


@pytest.mark.parametrize("script", DECODE)
def test_decode(both: Differential, script: str) -> None:
    both("EVAL", script, 0)


@pytest.mark.parametrize("script", SETTINGS)
def test_settings(both: Differential, script: str) -> None:
    both("EVAL", script, 0)


def test_in_a_function(both: Differential, r: redis.Redis, o: redis.Redis) -> None:
    code = ("#!lua name=cj\nredis.register_function('cj', function(keys, args) "
            "return cjson.encode(cjson.decode(args[1])) end)")
    try:
        both("FUNCTION", "LOAD", code)
        both("FCALL", "cj", 0, '{"a":[1,2.5,"x\\/"],"b":null}')
    finally:
        r.function_flush()
        o.function_flush()


# Random JSON documents, mangled now and then (a cut, a stray byte) to reach the errors.
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**60, 2**60),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
_DOCUMENTS = st.recursive(
    _SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                      st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12)
_ROUND_TRIP = ("local ok, v = pcall(cjson.decode, ARGV[1]) if not ok then return v end "
               "local ok2, e = pcall(cjson.encode, v) return {type(v), e}")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_DOCUMENTS, cut=st.integers(0, 60), junk=st.sampled_from(
    ["", " ", "]", "}", ",", "x", "\\", '"', "\\u12", "0x1F", "-", "nan", "1e5", "\x00"]),
    ensure_ascii=st.booleans())
def test_generated_documents(both: Differential, document: object, cut: int, junk: str,
                             ensure_ascii: bool) -> None:
    text = json.dumps(document, ensure_ascii=ensure_ascii)
    if cut:
        text = text[:cut] + junk + text[cut:]
    both("EVAL", _ROUND_TRIP, 0, text.encode("utf-8", "surrogatepass"))
