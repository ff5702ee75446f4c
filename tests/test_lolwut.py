"""LOLWUT against redis-server 7.0.15: the banner, the version choice and its errors, and the
art of versions 5 and 6. Redis draws with rand(), so the art is compared where it is not
random: Schotter's first two rows of squares (whole drawings of one or two rows are byte for
byte Redis's), line counts and widths, the trailers, and the reply's type in RESP2 and RESP3."""

from __future__ import annotations

import socket

import pytest
import redis

from conftest import Differential, ServerProcess, reply_of

SCHOTTER = "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15"
SKYLINE = ("Dedicated to the 8 bit game developers of past and present.\n"
           "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15")


def test_banner(both: Differential, both3: Differential) -> None:
    assert both("LOLWUT") == b"Redis ver. 7.0.15\n"
    for d in (both, both3):
        for args in ((), ("VERSION",), ("VERSION", "4"), ("VERSION", "7", "x", "y"), ("foo",),
                     ("5",), ("VERSION", "-1"), ("VERSION", "0"), ("VERSION", "59"),
                     ("version", "4294967296")):
            d("LOLWUT", *args)


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_reply_bytes(node: ServerProcess, oracle: ServerProcess, resp3: bool) -> None:
    # A bulk string in RESP2, a verbatim `txt` string in RESP3; these three are not random.
    def wire(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            if resp3:
                s.sendall(b"HELLO 3\r\nPING\r\n")
                _read_until_pong(s)
            s.sendall(b"LOLWUT\r\nLOLWUT VERSION 5 1 1 1\r\nLOLWUT VERSION 6 1 1\r\nPING\r\n")
            return _read_until_pong(s)

    mine = wire(node.port)
    assert mine == wire(oracle.port)
    assert mine.startswith(b"=22\r\ntxt:Redis ver. 7.0.15\n\r\n=74\r\n" if resp3
                           else b"$18\r\nRedis ver. 7.0.15\n\r\n$70\r\n")


def _read_until_pong(s: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"+PONG\r\n"):
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_argument_errors(both: Differential) -> None:
    for args in (("VERSION", "x"), ("VERSION", "5.0"), ("VERSION", "99999999999999999999"),
                 ("VERSION", "5", "x"), ("VERSION", "5", "10", "x"),
                 ("VERSION", "5", "10", "2", "y"),
                 ("VERSION", "6", "x"), ("VERSION", "6", "10", "1.5"), ("VERSION", "5", ""),
                 ("VERSION", "6", " 1")):
        assert isinstance(both("LOLWUT", *args), tuple), args


@pytest.mark.parametrize("args", [
    ("1", "1", "1"), ("10", "2", "2"), ("66", "8", "2"), ("66", "8", "1"), ("3", "200", "2"),
    ("1000", "7", "1"), ("-5", "0", "-3"), ("33", "3", "2", "extra"), ("7", "1", "2"),
    ("20", "200", "1"), ("2", "1", "2"), ("4294967301",), ("-4294967291",),
])
def test_schotter_without_randomness_is_redis_s(both: Differential, args: tuple) -> None:
    # Two rows of squares or fewer: nothing is rotated, the drawing is fully determined.
    if len(args) == 1:  # a version of 5 modulo 2**32 (printed with %u) is 5
        both("LOLWUT", "VERSION", args[0], "9", "2", "2")
    else:
        both("LOLWUT", "VERSION", "5", *args)


def _shape(art: bytes) -> tuple:
    """Line count, the widths of the braille lines, and the other lines."""
    lines = art.decode().split("\n")
    braille = [line for line in lines if line and 0x2800 <= ord(line[0]) <= 0x28FF]
    return len(lines), sorted({len(line) for line in braille}), lines[len(braille):]


@pytest.mark.parametrize("args", [(), ("66",), ("40", "5"), ("10", "3", "7"), ("100", "20", "30"),
                                  ("1", "200", "200"), ("7", "1", "3"), ("2000", "1", "5"),
                                  ("5", "3", "500")])
def test_schotter_shape(r: redis.Redis, o: redis.Redis, args: tuple) -> None:
    mine = reply_of(r, "LOLWUT", "VERSION", "5", *args)
    theirs = reply_of(o, "LOLWUT", "VERSION", "5", *args)
    assert _shape(mine) == _shape(theirs)
    assert mine.decode().endswith("\n" + SCHOTTER + "\n")
    # Every character of the drawing is a braille pattern.
    body = mine.decode().rsplit(SCHOTTER, 1)[0].replace("\n", "")
    assert all(0x2800 <= ord(ch) <= 0x28FF for ch in body)


@pytest.mark.parametrize("args", [(), ("1",), ("10", "3"), ("100", "40"), ("3", "50"),
                                  ("0", "0"), ("1001", "2"), ("-7",)])
def test_skyline_shape(r: redis.Redis, o: redis.Redis, args: tuple) -> None:
    mine = reply_of(r, "LOLWUT", "VERSION", "6", *args)
    theirs = reply_of(o, "LOLWUT", "VERSION", "6", *args)

    def shape(art: bytes) -> tuple:
        lines = art.split(b"\n")
        cells = {line.count(b"\033[0m") for line in lines[:-3]}
        return len(lines), cells, lines[-3:]

    assert shape(mine) == shape(theirs)
    assert mine.decode().endswith("\n" + SKYLINE + "\n")
    # Each cell is a space in one of the four grays (which ones is random).
    palette = {b"0;30;40m", b"0;90;100m", b"0;37;47m", b"0;97;107m"}
    for line in mine.split(b"\n")[:-3]:
        for cell in line.split(b"\033[0m")[:-1]:
            assert cell.startswith(b"\033[") and cell.endswith(b" ")
            assert cell[2:-1] in palette


def test_skyline_one_pixel(both: Differential) -> None:
    both("LOLWUT", "VERSION", "6", "1", "1")  # a one-row city has no building: all sky


def test_command_metadata(r: redis.Redis, o: redis.Redis) -> None:
    assert reply_of(r, "COMMAND", "INFO", "lolwut") == reply_of(o, "COMMAND", "INFO", "lolwut")
    mine = reply_of(r, "COMMAND", "DOCS", "lolwut")[1]
    theirs = reply_of(o, "COMMAND", "DOCS", "lolwut")[1]
    # (slotkv's COMMAND DOCS leaves out the arguments, for every command.)
    assert mine == theirs[:len(mine)] and theirs[len(mine)] == b"arguments"
