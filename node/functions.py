"""Redis 7.0 Functions (functions.c, function_lua.c): libraries of Lua functions that FUNCTION
LOAD registers and FCALL runs.

A library is its code (`#!lua name=<lib>` and a Lua chunk); loading runs the chunk once, in a
restricted environment where the only global is a `redis` table of register_function, log,
the LOG_* levels and the version (no redis.call, no math, no error: Redis's library API), with
at most 500 ms of run time. What it registers are closures: called later by FCALL, they see the
same globals as EVAL scripts (node/scripting.py, whose Lua state, sandbox and redis.call they
share), because their environment is one table whose fallback is switched from the library
API to the sandbox's globals once loading ends, as function_lua.c switches its globals'
`__index`.

The library API's redis.log is the C function scripts have (node/lualibs's
`script_functions`), so register_function may be given it, as a callback or anywhere in its
table of named arguments: those tables are read with node/lualibs's `table_pairs`, and such a
callback reaches Python as the Python function, which FCALL then calls. Its errors name the
position "=[C]:-1" (the sandbox's frames around the call), where Redis's name none.

Function names are looked up ignoring case, library names not, as Redis's dictionaries do.
Libraries are saved as their code: in RDB files (the FUNCTION2 opcode, node/rdb.py), FUNCTION
DUMP payloads, and AOF bases written as commands (one FUNCTION LOAD each). The commands are
node/commands/functions.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

import lupa.lua51 as lua51

from node.errors import CommandError, as_text
from node.lualibs import LuaRaise, lua_string, type_name
from node.scripting import SCRIPT_FLAGS

if TYPE_CHECKING:
    from node.scripting import Scripting

LOAD_TIMEOUT = 0.5  # seconds (functions.c's LOAD_TIMEOUT_MS)
_NAME_ERROR = ("Library names can only contain letters, numbers, or underscores(_) and must "
               "be at least one character long")
_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
ENGINE = b"LUA"

# Built on the sandbox's internals (scripting's _BOOT): the loader of a library's code.
_LOADER = r"""
local i, py = ...
local protect, refuse, missing, globals = i.protect, i.refuse, i.missing, i.globals
local setmetatable, setfenv, sethook, loadstring = i.setmetatable, i.setfenv, i.sethook,
  i.loadstring
local pcall, unwrap, type, error, ipairs = i.pcall, i.unwrap, i.type, i.error, i.ipairs

local full = i.redis
local redis = setmetatable({register_function = py.register, log = full.log}, {__index = missing})
for _, name in ipairs({'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION',
                       'REDIS_VERSION_NUM'}) do
  redis[name] = full[name]
end
local api = setmetatable({redis = protect(redis)}, {__index = missing})
local mt = {__index = globals, __newindex = refuse, __metatable = {}}
local env = setmetatable({}, mt)
local expired = py.expired

local function hook()
  if expired() then
    sethook()
    error({err = 'ERR FUNCTION LOAD timeout'})
  end
end

-- ok, error (a message or an error table), and whether the code compiled at all.
local function load(code, limited)
  local f, e = loadstring(code, '@user_function')
  if not f then return false, e, false end
  setfenv(f, env)
  mt.__index = api
  if limited then sethook(hook, '', 100000) end
  local ok, err = pcall(f)
  sethook()
  mt.__index = globals
  if not ok and type(err) == 'userdata' then err = unwrap(err) end
  return ok, err, true
end
return load
"""


class Function:
    """A registered function; `function` and `flags` are what Scripting.run reads."""

    __slots__ = ("name", "function", "flags", "description", "library")

    def __init__(self, name: bytes, function: Any, flags: int, description: bytes | None,
                 library: "Library") -> None:
        self.name = name
        self.function = function
        self.flags = flags
        self.description = description
        self.library = library


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name: bytes, code: bytes) -> None:
        self.name = name
        self.code = code
        self.functions: dict[bytes, Function] = {}


class Registry:
    """Libraries by name and their functions by lower-cased name (a functionsLibCtx)."""

    def __init__(self) -> None:
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, Function] = {}

    def check_collisions(self, libraries: list[Library]) -> None:
        for library in libraries:
            for name in library.functions:
                if name.lower() in self.functions:
                    raise _error(f"Function {as_text(name)} already exists")

    def link(self, library: Library) -> None:
        for name, function in library.functions.items():
            self.functions.setdefault(name.lower(), function)
        self.libraries[library.name] = library

    def unlink(self, library: Library) -> None:
        for name, function in library.functions.items():
            if self.functions.get(name.lower()) is function:
                del self.functions[name.lower()]
        del self.libraries[library.name]


class Functions(Registry):
    """The libraries and functions of one server, and the loading of libraries."""

    def __init__(self, scripting: "Scripting") -> None:
        super().__init__()
        self.scripting = scripting
        self._loading: Library | None = None
        self._deadline = 0.0
        py = scripting._table({b"register": self._register, b"expired": self._expired})
        internals = scripting.internals
        loader = internals[b"loadstring"](_LOADER.encode(), b"=[redis]")
        assert not isinstance(loader, tuple), loader  # (nil, the compile error)
        self._load = loader(internals, py)

    # -- loading -----------------------------------------------------------------------------

    def create(self, code: bytes, replace: bool, limited: bool = True) -> bytes:
        """functionsCreateWithLibraryCtx: compile `code` and link its library; its name.
        Raises CommandError with Redis's message."""
        name, body = _metadata(code)
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise _error(f"Library '{as_text(name)}' already exists")
        library = self.compile(name, code, body, limited)
        if old is not None:
            self.unlink(old)
        try:
            self.check_collisions([library])
        except CommandError:
            if old is not None:
                self.link(old)
            raise
        self.link(library)
        return name

    def compile(self, name: bytes, code: bytes, body: bytes, limited: bool) -> Library:
        """Run a library's code, which registers its functions (the library is not linked)."""
        library = Library(name, code)
        self._loading = library
        self._deadline = time.monotonic() + LOAD_TIMEOUT
        try:
            ok, err, compiled = self._load(body, limited)
        finally:
            self._loading = None
        if not compiled:
            raise _error("Error compiling function: " + as_text(err))
        if not ok:
            raise _error("Error registering functions: " + self._message(err))
        if not library.functions:
            raise _error("No functions registered")
        return library

    def _message(self, err: Any) -> str:
        # luaExtractErrorInformation: an error table's `err`, or "ERR " and a message.
        if lua51.lua_type(err) == "table":
            message = self.scripting._error_info(err)[0]
            return as_text(message) if message.__class__ is bytes else "ERR unknown error"
        return "ERR " + as_text(lua_string(err))

    def _expired(self, *args: Any) -> bool:
        return time.monotonic() > self._deadline

    def _register(self, *args: Any) -> None:
        """redis.register_function(name, callback) or ({function_name=, callback=, flags=,
        description=})."""
        library = self._loading
        if library is None:
            raise self._raise("redis.register_function can only be called on FUNCTION LOAD "
                              "command")
        if not 1 <= len(args) <= 2:
            raise self._raise("wrong number of arguments to redis.register_function")
        if len(args) == 2:
            name = _string(args[0])
            if name is None:
                raise self._raise("first argument to redis.register_function must be a string")
            callback, flags, description = args[1], 0, None
            if type_name(callback) != "function":
                raise self._raise("second argument to redis.register_function must be a "
                                  "function")
        else:
            name, callback, flags, description = self._named(args[0])
        if not _valid_name(name):
            raise self._raise(_NAME_ERROR)
        if name in library.functions:
            raise self._raise("Function already exists in the library")
        library.functions[name] = Function(name, callback, flags, description, library)

    def _named(self, table: Any) -> tuple[bytes, Any, int, bytes | None]:
        if lua51.lua_type(table) != "table":
            raise self._raise("calling redis.register_function with a single argument is only "
                              "applicable to Lua table (representing named arguments).")
        name = callback = description = None
        flags = 0
        for key, value in self.scripting._pairs(table):
            key = _string(key)
            if key is None:
                raise self._raise("named argument key given to redis.register_function is not "
                                  "a string")
            key = key.lower()
            if key == b"function_name":
                name = _string(value)
                if name is None:
                    raise self._raise("function_name argument given to "
                                      "redis.register_function must be a string")
            elif key == b"description":
                description = _string(value)
                if description is None:
                    raise self._raise("description argument given to "
                                      "redis.register_function must be a string")
            elif key == b"callback":
                if type_name(value) != "function":
                    raise self._raise("callback argument given to redis.register_function "
                                      "must be a function")
                callback = value
            elif key == b"flags":
                if lua51.lua_type(value) != "table":
                    raise self._raise("flags argument to redis.register_function must be a "
                                      "table representing function flags")
                flags = self._flags(value)
            else:
                raise self._raise("unknown argument given to redis.register_function")
        if name is None:
            raise self._raise("redis.register_function must get a function name argument")
        if callback is None:
            raise self._raise("redis.register_function must get a callback argument")
        return name, callback, flags, description

    def _flags(self, table: Any) -> int:
        flags = 0
        n = 1
        while (value := table[n]) is not None:
            flag = SCRIPT_FLAGS.get((_string(value) or b"").lower())
            if flag is None:
                raise self._raise("unknown flag given")
            flags |= flag
            n += 1
        return flags

    def _raise(self, message: str) -> LuaRaise:
        return LuaRaise(self.scripting._make_error(message.encode()))

    # -- the commands' operations ------------------------------------------------------------

    def get(self, name: bytes) -> Function | None:
        return self.functions.get(name.lower())

    def delete(self, name: bytes) -> None:
        library = self.libraries.get(name)
        if library is None:
            raise _error("Library not found")
        self.unlink(library)

    def flush(self) -> None:
        self.libraries.clear()
        self.functions.clear()

    def codes(self) -> list[bytes]:
        """Every library's code, as RDB files, FUNCTION DUMP and AOF bases save them."""
        return [library.code for library in self.libraries.values()]

    def restore(self, codes: list[bytes], policy: bytes) -> None:
        """FUNCTION RESTORE's libraries, under FLUSH, APPEND or REPLACE (libraryJoin): all or
        nothing."""
        staging = Registry()
        staged = staging.libraries
        for code in codes:
            name, body = _metadata(code)
            if name in staged:
                raise _error(f"Library '{as_text(name)}' already exists")
            library = self.compile(name, code, body, False)
            staging.check_collisions([library])
            staging.link(library)
        if policy == b"flush":
            self.libraries, self.functions = staged, staging.functions
            return
        replaced = [self.libraries[n] for n in staged if n in self.libraries]
        if replaced and policy != b"replace":
            raise _error(f"Library {as_text(replaced[0].name)} already exists")
        for library in replaced:
            self.unlink(library)
        try:
            self.check_collisions(list(staged.values()))
        except CommandError:
            for library in replaced:
                self.link(library)
            raise
        for library in staged.values():
            self.link(library)

    def memory(self) -> int:
        """An estimate of what the registry holds (INFO's used_memory_functions)."""
        return sum(200 + len(lib.code) + 100 * len(lib.functions)
                   for lib in self.libraries.values())

    def load_callback(self, replace: bool) -> Callable[[bytes], str | None]:
        """For rdb_reader.load: each library of a file into the registry, without the load
        timeout; None, or why it could not be loaded."""
        def load(code: bytes) -> str | None:
            try:
                self.create(code, replace, limited=False)
            except CommandError as e:
                return str(e).removeprefix("ERR ")
            return None
        return load


def _metadata(code: bytes) -> tuple[bytes, bytes]:
    """functionExtractLibMetaData: the library's name and the code after its shebang line
    (which keeps the line's newline, so line numbers stay the user's)."""
    if not code.startswith(b"#!"):
        raise _error("Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise _error("Invalid library metadata")
    parts = code[:end].split()
    if not parts:
        raise _error("Invalid library metadata")
    engine = parts[0][2:]
    name = None
    for part in parts[1:]:
        if part[:5].lower() == b"name=":
            if name is not None:
                raise _error("Invalid metadata value, name argument was given multiple times")
            name = part[5:]
            continue
        raise _error("Invalid metadata value given: " + as_text(part))
    if name is None:
        raise _error("Library name was not given")
    if not _valid_name(name):
        raise _error(_NAME_ERROR)
    if engine.upper() != ENGINE:
        raise _error(f"Engine '{as_text(engine)}' not found")
    return name, code[end:]


def _valid_name(name: bytes) -> bool:
    return bool(name) and all(c in _NAME_CHARS for c in name)


def _string(value: Any) -> bytes | None:
    """luaGetStringSds: a string, or a number as Lua prints it; None for anything else."""
    if value.__class__ in (bytes, int, float):
        return lua_string(value)
    return None


def _error(message: str) -> CommandError:
    return CommandError("ERR " + message)
