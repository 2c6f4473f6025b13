#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the shape of src/ that docs/internals.md promises.

  layout.py BUILDDIR [SRCDIR...]   (objects under BUILDDIR/obj/src)

- No call cycle between source files: the file graph comes from the
  objects' symbol tables (nm): file A depends on file B when A uses a
  symbol B defines. A cycle is a strongly connected component of more
  than one file.
- No function longer than 80 lines, no source file longer than 600. The
  project's style puts a function's opening and closing braces in
  column 0 (kernel style), which is what the count relies on.

Prints one line per problem and exits 1 if there is any.

  layout.py --exports BUILDDIR

lists the functions and objects a source file exports that no other
object (source, unit test or tool) uses: candidates for `static` or for
deletion. Informational; always exits 0.
"""
import os
import re
import subprocess
import sys

MAX_FUNC = 80
MAX_FILE = 600


def objects(objdir):
    """Objects of the sources that exist: a deleted file's stale object
    stays in the build directory but is in no library."""
    for root, _, files in os.walk(os.path.join(objdir, "obj", "src")):
        for f in files:
            obj = os.path.join(root, f)
            src = os.path.relpath(obj, os.path.join(objdir, "obj"))[:-2] + ".c"
            if f.endswith(".o") and os.path.exists(src):
                yield obj


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", obj], capture_output=True,
                         text=True, check=True).stdout
    defined = {l.split()[2] for l in out.splitlines()
               if len(l.split()) == 3 and l.split()[1] in "TDRBCGSV"}
    out = subprocess.run(["nm", "--undefined-only", obj], capture_output=True,
                         text=True, check=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, used


def sccs(graph):
    """Tarjan's algorithm, iterative enough for a few hundred files."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check_cycles(objdir):
    owner, uses = {}, {}
    for obj in objects(objdir):
        name = os.path.relpath(obj, os.path.join(objdir, "obj"))[:-2] + ".c"
        defined, used = symbols(obj)
        uses[name] = used
        for s in defined:
            owner[s] = name
    graph = {f: {owner[s] for s in u if s in owner and owner[s] != f}
             for f, u in uses.items()}
    problems = []
    for comp in sccs(graph):
        if len(comp) > 1:
            problems.append("call cycle between: " + " ".join(sorted(comp)))
    return problems, len(graph)


FUNC_START = re.compile(r"^\{\s*$")
FUNC_END = re.compile(r"^\}")


def check_lengths(srcdirs):
    problems = []
    for d in srcdirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, f)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    lines = fh.read().split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                if len(lines) > MAX_FILE:
                    problems.append(f"{path}: {len(lines)} lines (at most {MAX_FILE})")
                start = None
                for i, line in enumerate(lines):
                    if FUNC_START.match(line):
                        start = i
                    elif start is not None and FUNC_END.match(line):
                        body = i - start - 1
                        if body > MAX_FUNC:
                            sig = lines[start - 1].strip() if start else "?"
                            problems.append(f"{path}:{start}: function of {body} lines "
                                            f"(at most {MAX_FUNC}): {sig}")
                        start = None
    return problems


def exports(builddir):
    owner, users = {}, {}
    for root, _, files in os.walk(os.path.join(builddir, "obj")):
        for f in files:
            if not f.endswith(".o"):
                continue
            obj = os.path.join(root, f)
            name = os.path.relpath(obj, os.path.join(builddir, "obj"))[:-2] + ".c"
            if not os.path.exists(name):
                continue
            defined, used = symbols(obj)
            if name.startswith("src/"):
                for s in defined:
                    owner[s] = name
            for s in used:
                users.setdefault(s, set()).add(name)
    for s in sorted(owner, key=lambda x: (owner[x], x)):
        if s == "main":
            continue
        if not (users.get(s, set()) - {owner[s]}):
            print(f"export: {owner[s]}: {s} is used by no other file")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--exports":
        return exports(sys.argv[2])
    if len(sys.argv) < 2:
        print("usage: layout.py OBJDIR [SRCDIR...]", file=sys.stderr)
        return 2
    objdir = sys.argv[1]
    srcdirs = sys.argv[2:] or ["src"]
    problems, nfiles = check_cycles(objdir)
    problems += check_lengths(srcdirs)
    for p in problems:
        print("layout: " + p)
    if problems:
        return 1
    print(f"layout: {nfiles} objects, no call cycle; functions <= {MAX_FUNC} lines, "
          f"files <= {MAX_FILE} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
