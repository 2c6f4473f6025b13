#!/usr/bin/env bash
# --html FILE in a real browser: a default `run --html` and a whole
# `matrix --html` write their pages, headless Chromium loads each with no
# console error, and its rendered DOM has what the pages promise: the
# sequence diagram's arrows (at least one for each punch a client sent),
# and for the matrix one grid cell per cell, each with its verdict's class
# (as the JSON says) and a link to a section that exists.
set -euo pipefail
. "$HPLAB_TOP/tests/lib.sh"
hp_need_root
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || hp_skip "needs chromium (Debian package chromium) to render the pages"
hp_init
hp_lab_prefix "t74x$$"

# load FILE: headless Chromium renders it; its DOM in FILE.dom, its log in
# FILE.log, which must hold no console message and no uncaught error.
load() {
	local rc=0
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --enable-logging=stderr \
		--v=0 --user-data-dir="$T/chromium" --dump-dom "file://$1" >"$1.dom" 2>"$1.log" || rc=$?
	[ "$rc" = 0 ] || hp_fail "expected chromium to load $1, saw status $rc: $(tail -3 "$1.log")"
	[ -s "$1.dom" ] || hp_fail "expected a DOM from chromium for $1, saw none"
	hp_expect_no_grep "Uncaught" "$1.log"
	hp_expect_no_grep "CONSOLE" "$1.log"
}

# What the DOM checks share: the page's elements (tag, attributes, the
# <g data-dgram> and <svg> they are in) from Python's HTML parser.
DOM_PY='
from html.parser import HTMLParser
class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.els, self.stack = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        a["_tag"], a["_in"] = tag, [dict(s) for s in self.stack]
        self.els.append(a)
        if tag in ("g", "svg", "section"):
            self.stack.append(a)
    def handle_endtag(self, tag):
        if tag in ("g", "svg", "section") and self.stack and self.stack[-1]["_tag"] == tag:
            self.stack.pop()
def dom(path):
    p = Dom()
    p.feed(open(path, encoding="utf-8").read())
    return p.els
def cls(e):
    return (e.get("class") or "").split()
def arrows(els):
    # arrows of the diagrams by datagram: {(section id, dgram): [classes of its group]}
    out = {}
    for e in els:
        if e["_tag"] != "line" or "arrow" not in cls(e):
            continue
        g = [x for x in e["_in"] if x["_tag"] == "g" and x.get("data-dgram")]
        s = [x.get("id") for x in e["_in"] if x["_tag"] == "section"]
        if g:
            out.setdefault((s[-1] if s else "", g[-1]["data-dgram"]), cls(g[-1]))
    return out
'

echo "check: run --html: the page loads in Chromium, its diagram has an arrow per punch"
hp_lab_run run --html "$T/run.html"
hp_lab_check run "print('    result', d['result'], 'path', d['path'])" "assert rc == 0, rc"
load "$T/run.html"
hp_py "$DOM_PY"'
els = dom(sys.argv[1])
seq = [e for e in els if e["_tag"] == "svg" and "sequence" in cls(e)]
assert len(seq) == 1, len(seq)
dg = arrows(els)
punches = [k for k, c in dg.items() if "msg-punch" in c]
sent = [e for e in els if "client-punch" in cls(e)]
print("    %d datagrams drawn, %d of them punches; the clients sent %d punches" % (len(dg), len(punches), len(sent)))
assert len(punches) >= 1, dg
assert len(punches) >= len(sent), (len(punches), len(sent))
assert all(any(c.startswith("fate-") for c in v) for v in dg.values()), dg
assert any(e["_tag"] == "table" and "topology" in cls(e) for e in els)
' "$T/run.html.dom"

echo "check: matrix --html: one grid cell per cell with its verdict, each linking to its story"
rc=0
timeout 240 "$BIN/labrun" matrix --json --html "$T/matrix.html" >"$T/matrix.json" & runner=$!
hp_track "$runner"
wait "$runner" || rc=$?
hp_untrack "$runner"
[ "$rc" = 0 ] || [ "$rc" = 1 ] || hp_fail "expected matrix to exit 0 or 1, saw $rc"
load "$T/matrix.html"
hp_py "$DOM_PY"'
els = dom(sys.argv[1])
cells = json.loads(open(sys.argv[2]).read())["cells"]
tds = [e for e in els if e["_tag"] == "td" and "cell" in cls(e)]
assert len(tds) == len(cells), (len(tds), len(cells))
ids = {e["id"] for e in els if e.get("id")}
want = {"ok": "cell-ok", "wrong": "cell-wrong", "not_run": "cell-not_run"}
# the grid lists the cells in their order: the pairs row by row, then the others
for i, c in enumerate(cells):
    v = "not_run" if c["observed"] == "not_run" else "ok" if c["ok"] else "wrong"
    assert want[v] in cls(tds[i]), (i + 1, v, cls(tds[i]))
    section = "cell-%d" % (i + 1)
    assert section in ids, section
    assert [e for e in els if e.get("id") == section and want[v] in cls(e)], (section, v)
hrefs = [e.get("href") for e in els if e["_tag"] == "a" and (e.get("href") or "").startswith("#cell-")]
assert len(hrefs) == len(cells), len(hrefs)
assert all(h[1:] in ids for h in hrefs), [h for h in hrefs if h[1:] not in ids]
dg = arrows(els)
ran = [c for c in cells if c["observed"] != "not_run"]
drawn = {k[0] for k in dg}
print("    %d cells, %d ran, %d with a diagram that has arrows" % (len(cells), len(ran), len(drawn)))
assert len(drawn) >= 1, drawn
' "$T/matrix.html.dom" "$T/matrix.json"
echo "ok"
