#!/usr/bin/env python3
"""Fails when modules import each other in a cycle, at any level of a crate: between the top-level modules
(`services` and `store`), and between the children of every module (`services::audit` and
`services::notify`, `http::gate` and `http::layers`), inline ones (`mod tests { .. }`) included.

Every module is a root for its children: a reference from module S to module T counts as an edge between
the two children of their closest common ancestor that contain them (S = `services::audit::x`,
T = `services::notify` gives `audit -> notify` among the children of `services`). References from a
module to its own ancestors or descendants are not edges (a parent uses its children; a child uses its
parent's shared items). A reference is any path, in a `use` or in code:
  crate::a::b,  $crate::a::b,  super::x,  super::super::x,  self::x,
  use super::{a, b};  use crate::{a::{b, c}, d};  and bare `x::..` after `use super::*`.
Paths through a `pub use` re-export resolve to the module that defines the item. Comments and string
literals are ignored.

    scripts/check-module-cycles.py core/src app/src server/src
    scripts/check-module-cycles.py --self-test    runs it on a small fixture tree with known cycles;
                                                  fails if it misses one or reports a wrong one
`make test` (scripts/test.sh) runs both."""
import os, re, sys, tempfile

IDENT = r'[A-Za-z_][A-Za-z0-9_]*'


def blank(text):
    """The source with comments, string and char literals replaced by spaces (newlines kept, so offsets
    and line numbers stay valid)."""
    out = list(text)
    i, n = 0, len(text)

    def wipe(a, b):
        for k in range(a, b):
            if out[k] != '\n':
                out[k] = ' '

    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            wipe(i, j); i = j
        elif text.startswith('/*', i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith('/*', j): depth += 1; j += 2
                elif text.startswith('*/', j): depth -= 1; j += 2
                else: j += 1
            wipe(i, j); i = j
        elif c in 'rb' and re.match(r'(?:b?r)(#*)"', text[i:i + 300]) and (i == 0 or not re.match(r'\w', text[i - 1])):
            m = re.match(r'(?:b?r)(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + m.end())
            j = n if end < 0 else end + 1 + len(m.group(1))
            wipe(i, j); i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            wipe(i, j + 1); i = j + 1
        elif c == "'":
            m = re.match(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'", text[i:i + 16], re.S)
            if m:
                wipe(i, i + m.end()); i += m.end()
            else:
                i += 1  # a lifetime or a label
        else:
            i += 1
    return ''.join(out)


def matching_brace(text, open_at):
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == '{': depth += 1
        elif text[k] == '}':
            depth -= 1
            if depth == 0: return k
    return len(text) - 1


def split_inline(text, path, into):
    """Splits a file's blanked text into its module's own code and that of its inline `mod x { .. }`
    modules, recursively: into[path] gets a list of (offset, code) pieces."""
    own = list(text)
    pos = 0
    for m in re.finditer(r'\bmod\s+(' + IDENT + r')\s*\{', text):
        if m.start() < pos: continue  # inside an inline module already handled
        close = matching_brace(text, m.end() - 1)
        inner = ''.join(ch if m.end() <= k < close or ch == '\n' else ' ' for k, ch in enumerate(text))
        split_inline(inner, path + (m.group(1),), into)
        for k in range(m.end(), close):
            if own[k] != '\n': own[k] = ' '
        pos = close
    into.setdefault(path, []).append(''.join(own))


def parse_tree(text, i):
    """Parses a path tree starting at text[i] (after the first `::`): `a::b`, `{a, b::{c, d}}`, `self`,
    `*`, `x as y`. Returns (list of segment lists, end offset)."""
    ws = re.compile(r'\s*')
    i = ws.match(text, i).end()
    if i < len(text) and text[i] == '{':
        paths, i = [], i + 1
        while True:
            i = ws.match(text, i).end()
            if i >= len(text) or text[i] == '}':
                return paths, i + 1
            if text[i] == ',':
                i += 1; continue
            sub, i = parse_tree(text, i)
            paths += sub
    if i < len(text) and text[i] == '*':
        return [['*']], i + 1
    m = re.compile(IDENT).match(text, i)
    if not m:
        return [[]], i
    seg, i = m.group(0), m.end()
    after = re.compile(r'\s*::\s*').match(text, i)
    if after and (re.compile(IDENT).match(text, after.end()) or text[after.end():after.end() + 1] in ('{', '*')):
        rest, i = parse_tree(text, after.end())
        return [[seg] + r for r in rest], i
    alias = re.compile(r'\s+as\s+' + IDENT).match(text, i)
    if alias: i = alias.end()
    return [[seg]], i


class Crate:
    def __init__(self, root):
        self.root = root
        self.code = {}      # module path (tuple) -> [(file, text)]
        for dirpath, _, files in os.walk(root):
            for f in sorted(files):
                if not f.endswith('.rs'): continue
                full = os.path.join(dirpath, f)
                parts = os.path.relpath(full, root)[:-3].split(os.sep)
                if parts[-1] == 'mod': parts = parts[:-1]
                if parts in (['lib'], ['main']): parts = []
                pieces = {}
                split_inline(blank(open(full, encoding='utf-8').read()), tuple(parts), pieces)
                for path, texts in pieces.items():
                    for t in texts:
                        self.code.setdefault(path, []).append((full, t))
        self.modules = set(self.code)
        for path in list(self.modules):
            for k in range(len(path)):
                self.modules.add(path[:k])
        self.reexports = {m: {} for m in self.modules}
        for m, pieces in self.code.items():
            for _, text in pieces:
                for u in re.finditer(r'\bpub(?:\s*\([^)]*\))?\s+use\s+', text):
                    for segs in parse_tree(text, u.end())[0]:
                        target = self.resolve(m, segs, follow=False)
                        if target is not None and segs and segs[-1] not in ('*', 'self'):
                            self.reexports[m][segs[-1]] = target

    def resolve(self, here, segs, follow=True):
        """The module a path names, or None when it leaves the crate (an external crate, a std path)."""
        if not segs: return None
        head, rest = segs[0], segs[1:]
        if head in ('crate', '$crate'): cur = ()
        elif head == 'self': cur = here
        elif head == 'super':
            cur = here[:-1]
            while rest and rest[0] == 'super':
                cur, rest = cur[:-1], rest[1:]
        elif here + (head,) in self.modules: cur = here + (head,)  # a relative path to a child
        else: return None
        seen = 0
        for seg in rest:
            if seg == 'self': continue
            if cur + (seg,) in self.modules: cur = cur + (seg,)
            elif follow and seg in self.reexports.get(cur, {}) and seen < 8:
                cur, seen = self.reexports[cur][seg], seen + 1
            else: break
        return cur

    def references(self):
        """(source module, target module, file, line, path text) for every path in the crate."""
        start = re.compile(r'(?<![\w:])(\$crate|crate|super|self)\s*::')
        for m, pieces in self.code.items():
            for file, text in pieces:
                sibling_glob = re.search(r'\buse\s+super\s*::\s*\*', text) and len(m) > 0
                heads = [(h.start(), h.group(1), h.end()) for h in start.finditer(text)]
                if sibling_glob:
                    for name in {p[-1] for p in self.modules if len(p) == len(m) and p[:-1] == m[:-1] and p != m}:
                        heads += [(h.start(), name, h.end())
                                  for h in re.finditer(r'(?<![\w:])' + name + r'\s*::', text)]
                for at, head, after in heads:
                    trees, end = parse_tree(text, after)
                    for segs in trees:
                        if head not in ('crate', '$crate', 'super', 'self'):
                            target = m[:-1] + (head,)
                            target = self.resolve(target, ['self'] + segs)
                        else:
                            target = self.resolve(m, [head] + segs)
                        if target is None: continue
                        line = text.count('\n', 0, at) + 1
                        yield m, target, file, line, ' '.join(text[at:end].split())

    def cycles(self):
        """[(parent module, [child names in a cycle], [(a, b, evidence)])] at every level."""
        edges = {}  # parent -> {a: {b: evidence}}
        for src, dst, file, line, text in self.references():
            k = 0
            while k < min(len(src), len(dst)) and src[k] == dst[k]: k += 1
            if k == len(src) or k == len(dst): continue  # an ancestor or a descendant
            a, b = src[k], dst[k]
            level = edges.setdefault(src[:k], {})
            level.setdefault(a, {}).setdefault(b, f'{os.path.relpath(file)}:{line}: {text}')
        found = []
        for parent in sorted(edges):
            graph = edges[parent]
            for group in sccs(graph):
                inside = [(a, b, graph[a][b]) for a in sorted(group) for b in sorted(graph.get(a, {})) if b in group]
                found.append((parent, sorted(group), inside))
        return found


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    nodes = set(graph) | {b for bs in graph.values() for b in bs}

    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop(); on.discard(w); group.append(w)
                if w == v: break
            if len(group) > 1: out.append(group)

    for v in sorted(nodes):
        if v not in index: visit(v)
    return out


def check(roots):
    failed = False
    for root in roots:
        found = Crate(root).cycles()
        for parent, group, inside in found:
            where = '::'.join(('crate',) + parent)
            print(f"{root}: the children of `{where}` import each other in a cycle: {', '.join(group)}", file=sys.stderr)
            for a, b, evidence in inside:
                print(f"    {a} -> {b}   ({evidence})", file=sys.stderr)
        failed |= bool(found)
        if not found:
            print(f"{root}: no import cycle between its modules, at any level")
    return failed


# A crate with one cycle per form of reference, at several levels, and decoys that must not count.
FIXTURE = {
    'lib.rs': 'pub mod a; pub mod b; pub mod c; pub mod p; pub mod q; pub mod quiet; pub mod re;',
    # super::x in code, and crate::a::b in a use
    'a/mod.rs': 'pub mod one; pub mod two;',
    'a/one.rs': 'pub fn g() { super::two::f() }',
    'a/two.rs': 'use crate::a::one::g;\npub fn f() { g() }',
    # use super::{x, y}, and a grouped tree use crate::{b::{x}, p}
    'b/mod.rs': 'pub mod x; pub mod y; pub mod z;',
    'b/x.rs': 'use super::{z, y as why};',
    'b/y.rs': 'use crate::{p, b::{z, x::{self}}};',
    'b/z.rs': '',
    # two levels down, through super::super, and through a child of the other module
    'c/mod.rs': 'pub mod d;',
    'c/d/mod.rs': 'pub mod e; pub mod f;',
    'c/d/e.rs': 'fn h() { super::super::d::f::deep::k(); }',
    'c/d/f/mod.rs': 'pub mod deep;',
    'c/d/f/deep.rs': 'pub fn k() { crate :: c :: d :: e :: h2(); }',
    # top level, from an inline module (tests count) and from a nested file
    'p.rs': 'pub fn f() {}\n#[cfg(test)]\nmod tests { use super::*; fn t() { crate::q::r::g(); } }',
    'q/mod.rs': 'pub mod r;',
    'q/r.rs': 'pub fn g() { $crate::p::f() }',
    # decoys: comments, strings, char literals, external paths, a parent's items, a child's re-export
    'quiet/mod.rs': 'pub mod s; pub mod t; pub use t::Shared; pub struct Own;',
    'quiet/s.rs': ('// crate::quiet::t\n/* super::t::x /* nested */ super::t */\n'
                   'const A: &str = "super::t::y"; const B: char = \'"\'; const C: &str = r#"crate::quiet::t"#;\n'
                   'use std::fmt; use super::Own; fn f<\'a>(x: &\'a str) { sqlx::query(x); }'),
    'quiet/t.rs': 'pub struct Shared; pub fn f() { super::s::g() }',
    # a path through a parent's `pub use` re-export is an edge to the module that defines the item
    're/mod.rs': 'pub mod u; pub mod v; pub use v::Item;',
    're/u.rs': 'pub fn g() {} fn f(_: super::Item) {}',
    're/v.rs': 'pub struct Item; use super::*; fn f() { u::g() }',
}
EXPECTED = {
    ('crate::a', ('one', 'two')),
    ('crate::b', ('x', 'y')),
    ('crate::c::d', ('e', 'f')),
    ('crate', ('p', 'q')),
    ('crate::re', ('u', 'v')),
}


def self_test():
    with tempfile.TemporaryDirectory() as root:
        for name, text in FIXTURE.items():
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as f: f.write(text)
        found = {('::'.join(('crate',) + parent), tuple(group)) for parent, group, _ in Crate(root).cycles()}
    missed, wrong = EXPECTED - found, found - EXPECTED
    for where, group in sorted(missed):
        print(f"module cycle check self-test FAILED: missed the cycle {', '.join(group)} in {where}", file=sys.stderr)
    for where, group in sorted(wrong):
        print(f"module cycle check self-test FAILED: reported a cycle that is not there: {', '.join(group)} in {where}", file=sys.stderr)
    if missed or wrong:
        return True
    print(f"module cycle check self-test: finds all {len(EXPECTED)} known cycles of the fixture, at 3 levels, and no other")
    return False


if __name__ == '__main__':
    if sys.argv[1:] == ['--self-test']:
        sys.exit(1 if self_test() else 0)
    if not sys.argv[1:]:
        sys.exit(__doc__)
    sys.exit(1 if check(sys.argv[1:]) else 0)
