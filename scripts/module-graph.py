#!/usr/bin/env python3
"""Prints the import graph of a Rust crate's modules (`crate::` paths outside test code) and its cycles.

Usage: scripts/module-graph.py [SRC_DIR]   (default: remotes-runtime/src)
Each line is `module -> imported modules`; then every strongly connected component of more than one module, and
every import that goes up the runtime's layers (README.md, "Layout"): a module may import from its own layer and
the layers below it, never from one above.
Exits 1 when a cycle spans more than two modules or an import goes up a layer.
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "remotes-runtime/src"

# The runtime's layers, from the bytes up (README.md, "Layout"). A module's layer is that of its longest listed
# prefix; `lib`, `private` (what generated code calls) and `testing` sit above everything.
LAYERS = [
    ("leaf", ["config", "error", "interface", "api", "validate", "rate_limit", "log_limit", "work", "receive",
              "user_code", "tls", "typescript", "telemetry", "signal"]),
    ("wire", ["wire"]),
    ("transport", ["transport"]),
    ("connection", ["link", "outbox", "pending", "deadlines", "slots", "connection", "handshake"]),
    ("receiving", ["player", "middleware", "hooks", "auth", "boundary", "pipeline", "listeners", "endpoint",
                   "binding", "dispatch"]),
    ("cluster", ["bus"]),
    ("sides", ["server", "client"]),
    ("typed handles", ["remote", "callback", "example"]),
    ("top", ["lib", "private", "testing"]),
]


def layer(module):
    """The index of `module`'s layer in LAYERS, or None for a module no layer lists."""
    head = module.split("::")[0]
    for position, (_, members) in enumerate(LAYERS):
        if head in members:
            return position
    return None
modules = {}
for folder, _, files in os.walk(src):
    for name in files:
        if name.endswith(".rs"):
            path = os.path.join(folder, name)
            module = os.path.relpath(path, src)[:-3].replace(os.sep, "::")
            module = re.sub(r"(::)?mod$", "", module) or "lib"
            modules[module] = path


def target(path):
    """The longest known module that `crate::path` names."""
    parts, found = path.split("::"), None
    for end in range(1, len(parts) + 1):
        candidate = "::".join(parts[:end])
        if candidate in modules:
            found = candidate
    return found


graph = {}
for module, path in sorted(modules.items()):
    text = open(path, encoding="utf-8").read()
    text = text.split("#[cfg(test)]")[0]  # test modules may import anything
    text = re.sub(r"//[^\n]*", "", text)  # comments and docs
    imports = {target(m) for m in re.findall(r"crate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)", text)}
    graph[module] = sorted(m for m in imports if m and m != module and module != "lib")

# Tarjan's strongly connected components.
index, low, stack, on_stack, components, counter = {}, {}, [], set(), [], [0]


def visit(node):
    index[node] = low[node] = counter[0]
    counter[0] += 1
    stack.append(node)
    on_stack.add(node)
    for nxt in graph.get(node, []):
        if nxt not in index:
            visit(nxt)
            low[node] = min(low[node], low[nxt])
        elif nxt in on_stack:
            low[node] = min(low[node], index[nxt])
    if low[node] == index[node]:
        component = []
        while True:
            top = stack.pop()
            on_stack.discard(top)
            component.append(top)
            if top == node:
                break
        components.append(sorted(component))


sys.setrecursionlimit(10_000)
for module in graph:
    if module not in index:
        visit(module)

for module, imports in graph.items():
    print(f"{module} -> {', '.join(imports)}")
cycles = [c for c in components if len(c) > 1]
for cycle in sorted(cycles, key=len):
    print(f"cycle of {len(cycle)} modules: {' '.join(cycle)}")
largest = max((len(c) for c in cycles), default=0)
print(f"largest cycle: {largest} modules (goal: at most 2)")
upward = []
for module, imports in graph.items():
    if layer(module) is None:
        upward.append(f"{module} is in no layer: add it to LAYERS (and to README.md)")
        continue
    for imported in imports:
        if layer(imported) is not None and layer(imported) > layer(module):
            upward.append(f"{module} ({LAYERS[layer(module)][0]}) imports {imported} ({LAYERS[layer(imported)][0]})")
for line in upward:
    print(f"layering: {line}")
print(f"imports going up a layer: {len(upward)}")
sys.exit(1 if largest > 2 or upward else 0)
