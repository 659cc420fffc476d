"""Tests for reading edge-list files (sim.network.edgelist)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from sim import network as net
from sim.errors import ScenarioError
from sim.network import edgelist
from tests.helpers import write
from tests.test_network import assert_valid


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_edgelist_round_trip(tmp_path: Path) -> None:
    adj = net.build_network("watts_strogatz", 200, rng())
    path = tmp_path / "g.edges"
    nx.write_edgelist(net.to_networkx(adj), path, data=False)
    back = net.load_edgelist(path, 200)
    assert_valid(back, 200)
    assert (back != adj).nnz == 0
    via_build = net.build_network("edgelist", 200, rng(), path=str(path))
    assert (via_build != adj).nnz == 0


def test_edgelist_formats(tmp_path: Path) -> None:
    csv = write(tmp_path, "g.csv", "# friends\nsource,target\n0,1\n 1 , 2 # inline\n\n2,0\n2,0\n")
    adj = net.load_edgelist(csv, 5)
    assert_valid(adj, 5)
    assert net.degrees(adj).tolist() == [2, 2, 2, 0, 0]
    # Integer file whose first line is a header of other words.
    hdr = write(tmp_path, "h.txt", "a b\n0 3\n3 3\n")
    assert net.degrees(net.load_edgelist(hdr, 4)).tolist() == [1, 0, 0, 1]
    # Labels: file order (bob, carol, alice), mixed separators, tabs.
    labels = write(tmp_path, "l.txt", "bob\tcarol\nalice, bob\n")
    assert net.load_edgelist(labels, 3).toarray().tolist() == [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
    assert net.edgelist_labels(labels, 4) == ["bob", "carol", "alice", None]
    assert net.edgelist_labels(write(tmp_path, "i.txt", "0 1\n"), 2) is None
    named = write(tmp_path, "n.txt", "from to\nx y\n")  # a named header, then labels
    assert net.load_edgelist(named, 2).nnz == 2


def test_edgelist_fast_and_slow_parsers_agree(tmp_path: Path, monkeypatch) -> None:
    adj = net.build_network("erdos_renyi", 30_000, rng(), mean_degree=8)
    upper = sp.triu(adj, 1).tocoo()
    pairs = zip(upper.row.tolist(), upper.col.tolist(), strict=True)
    text = "".join(f"{a},{b}\n" for a, b in pairs)
    big = write(tmp_path, "big.csv", "# comment\nsrc,dst\n" + text)
    assert big.stat().st_size > edgelist._FAST_PARSE_MIN_BYTES
    assert edgelist._parse_fast(big.read_bytes(), 30_000) is not None
    fast = net.load_edgelist(big, 30_000)
    monkeypatch.setattr(edgelist, "_FAST_PARSE_MIN_BYTES", 10**15)
    slow = net.load_edgelist(big, 30_000)
    assert (fast != adj).nnz == 0 and (slow != adj).nnz == 0
    # A bad line in a big file is still reported with its line number.
    monkeypatch.setattr(edgelist, "_FAST_PARSE_MIN_BYTES", 0)
    bad = write(tmp_path, "bad.csv", "src,dst\n" + text + "7,oops,9\n")
    lineno = text.count("\n") + 2
    with pytest.raises(ScenarioError, match=rf"bad\.csv.*line {lineno}\b"):
        net.load_edgelist(bad, 30_000)
    out = write(tmp_path, "out.csv", "0,1\n" * 3 + "1,30000\n")
    with pytest.raises(ScenarioError, match="line 4: node id 30000 is out of range"):
        net.load_edgelist(out, 30_000)


@pytest.mark.parametrize(
    ("text", "n", "pattern"),
    [
        ("0 1\n1 2 3\n", 5, r"line 2: expected two node ids.*'1 2 3'"),
        ("0 1\n\n# c\n7\n", 5, r"line 4: expected two node ids.*'7'"),
        ("0,1\n1,\n", 5, r"line 2: expected two node ids"),
        ("0 1\n1 9\n", 5, r"line 2: node id 9 is out of range.*\[0, 5\)"),
        ("0 1\n-1 2\n", 5, r"line 2: node id -1 is out of range"),
        ("0 1\n1 99999999999999999999999\n", 5, r"line 2: node id 9+ is out of range"),
        ("a b\nb c\nc d\n", 3, r"4 distinct node labels but only 3 consumers"),
        # one mistyped id must not silently turn every id into a label
        ("0,1\n1,2\n2,3\n10,x\n3,4\n", 20,
         r"line 4: a node id that is not an integer, where 9 of 10 ids are integer.*'10,x'"),
        ("alice bob\nbob carol\n5 carol\n", 20,
         r"line 3: an integer node id among labels \(5 of 6 ids are labels\)"),
    ],
)
def test_bad_edgelist_files(tmp_path: Path, text: str, n: int, pattern: str) -> None:
    path = write(tmp_path, "friends.txt", text)
    with pytest.raises(ScenarioError, match=pattern) as info:
        net.load_edgelist(path, n)
    assert "friends.txt" in str(info.value)
    assert info.value.problems[0].key == "network.path"


def test_unreadable_edgelists(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing\.txt.*not found"):
        net.build_network("edgelist", 10, rng(), path=tmp_path / "missing.txt")
    with pytest.raises(ScenarioError, match="folder"):
        net.load_edgelist(tmp_path, 10)
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"0 1\n1 2\n\xff\xfe\x00\n")
    with pytest.raises(ScenarioError, match=r"blob\.bin.*line 3: not UTF-8"):
        net.load_edgelist(binary, 10)
    with pytest.raises(ScenarioError, match=r"network\.path"):
        net.load_edgelist(None, 10)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("first", ["5 x", "1O 2", "12,1O", "0.5,1", "x 5", "1e3 2"])
def test_malformed_first_line_is_not_a_header(tmp_path: Path, first: str) -> None:
    """A first line with a number in it is data: refused, not dropped as a header."""
    path = write(tmp_path, "g.txt", f"{first}\n0 1\n1 2\n2 3\n")
    with pytest.raises(ScenarioError, match=r"line 1: ") as info:
        net.load_edgelist(path, 20)
    assert info.value.problems[0].key == "network.path"
    assert first not in str(info.value)  # the first line is never echoed


@pytest.mark.parametrize("first", ["5 x", "0.5,1"])
def test_fast_parser_does_not_drop_a_malformed_first_line(
    tmp_path: Path, monkeypatch, first: str
) -> None:
    monkeypatch.setattr(edgelist, "_FAST_PARSE_MIN_BYTES", 0)
    path = write(tmp_path, "g.txt", f"{first}\n0 1\n1 2\n")
    assert edgelist._parse_fast(path.read_bytes(), 20) is None
    with pytest.raises(ScenarioError, match=r"line 1: "):
        net.load_edgelist(path, 20)


@pytest.mark.parametrize("header", ["source,target", "u v", "src dst", "a b", "from,to"])
def test_word_headers_are_headers(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, "g.txt", f"{header}\n0 1\n1 2\n")
    assert net.degrees(net.load_edgelist(path, 3)).tolist() == [1, 2, 1]


def test_first_line_of_labels_is_an_edge(tmp_path: Path) -> None:
    """Two unknown words before more labels are an edge, not a header."""
    path = write(tmp_path, "g.txt", "alice bob\nbob carol\n")
    assert net.load_edgelist(path, 3).nnz == 4


# --------------------------------------------------------------------------- empty files


@pytest.mark.parametrize("text", ["", "# nothing\n\n", "source,target\n", "u v  # header\n"])
def test_empty_or_header_only_edge_list_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "empty.txt", text)
    with pytest.raises(ScenarioError, match=r"empty\.txt.*has no edges") as info:
        net.load_edgelist(path, 5)
    assert info.value.problems[0].key == "network.path"
    with pytest.raises(ScenarioError, match="has no edges"):
        net.build_network("edgelist", 5, rng(), path=path)


# --------------------------------------------------------------------------- no echo


def test_a_file_that_is_not_an_edge_list_is_not_echoed(tmp_path: Path) -> None:
    secret = "root:x:0:0:root:/root:/bin/bash"
    path = write(tmp_path, "passwd", f"{secret}\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n")
    with pytest.raises(ScenarioError) as info:
        net.load_edgelist(path, 10)
    text = str(info.value)
    assert "line 1: expected two node ids separated by whitespace or a comma" in text
    assert "root" not in text.replace(str(path), "")


def test_a_two_field_first_line_is_not_echoed_either(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "password hunter2 extra\n")
    with pytest.raises(ScenarioError, match="line 1: expected two node ids") as info:
        net.load_edgelist(path, 10)
    assert "hunter2" not in str(info.value)
    path = write(tmp_path, "ids.txt", "99 1\n0 1\n")
    with pytest.raises(ScenarioError, match=r"line 1: node id 99 is out of range") as info:
        net.load_edgelist(path, 10)
    assert "'99 1'" not in str(info.value)


def test_etc_passwd_via_the_scenario_is_not_echoed(tmp_path: Path) -> None:
    import sim

    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("no /etc/passwd here")
    first = passwd.read_text().splitlines()[0]
    sc = sim.scenario_from_dict({}, {"population.size": 50, "network.kind": "edgelist",
                                     "network.path": str(passwd)})
    with pytest.raises(ScenarioError) as info:
        sim.run(sc)
    assert first not in str(info.value)
    assert "line 1" in str(info.value)
