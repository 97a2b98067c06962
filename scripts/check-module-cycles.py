#!/usr/bin/env python3
"""Fails when the top-level modules of a crate import each other in a cycle (`use crate::a` in `b` and
`use crate::b` in `a`, or longer loops). `make test` runs it on the core, the app and the server.
    scripts/check-module-cycles.py core/src app/src server/src"""
import os, re, sys

def cycles(root):
    mods={}
    for f in os.listdir(root):
        p=os.path.join(root,f)
        name=f[:-3] if f.endswith('.rs') else f
        if name in ('lib','main'): continue
        files=[p] if f.endswith('.rs') else [os.path.join(dp,x) for dp,_,fs in os.walk(p) for x in fs if x.endswith('.rs')]
        text=''.join(open(x).read() for x in files)
        text=re.sub(r'//[^\n]*','',text)
        deps=set(re.findall(r'crate::([a-z_]+)',text))
        for g in re.findall(r'crate::\{([^;]*?)\};',text,re.S):
            deps|=set(re.findall(r'(?:^|[,{\s])([a-z_]+)(?=::|\s*,|\s*$|\s*\})',g))
        mods[name]=deps-{name}
    names=set(mods)
    edges={m:{d for d in ds if d in names} for m,ds in mods.items()}
    cyc=[(a,b) for a in edges for b in edges[a] if a<b and a in edges.get(b,())]
    # general cycles via SCC
    idx={};low={};st=[];on=set();sccs=[];c=[0]
    def sc(v):
        idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
        for w in edges[v]:
            if w not in idx: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],idx[w])
        if low[v]==idx[v]:
            s=[]
            while True:
                w=st.pop();on.discard(w);s.append(w)
                if w==v:break
            if len(s)>1: sccs.append(s)
    for v in edges:
        if v not in idx: sc(v)
    return sccs


failed = False
for root in sys.argv[1:]:
    found = cycles(root)
    for group in found:
        print(f"{root}: these modules import each other in a cycle: {', '.join(sorted(group))}", file=sys.stderr)
    failed |= bool(found)
    if not found:
        print(f"{root}: no import cycle between its modules")
sys.exit(1 if failed else 0)
