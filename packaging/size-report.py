#!/usr/bin/env python3
"""What makes up the crier binary: `packaging/size-report.py [UNSTRIPPED_BINARY]` (default:
the release build behind dist/crier). Prints the ELF sections and the defined symbols'
bytes per origin: each Swift module (from the mangled name), ICU's data and code,
BoringSSL (swift-crypto), simdjson, and the rest. Measures only; changes nothing.
"""
import collections, re, subprocess, sys

binary = sys.argv[1] if len(sys.argv) > 1 else subprocess.run(
    ["swift", "build", "-c", "release", "--show-bin-path"], capture_output=True, text=True, check=True).stdout.strip() + "/crier"

def mib(n):
    return f"{n / 1048576:7.2f} MiB"

sections = []
for line in subprocess.run(["size", "-A", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
        sections.append((parts[0], int(parts[1])))
print(f"{binary}")
print("sections (loaded and debug):")
for name, n in sorted(sections, key=lambda s: -s[1])[:12]:
    print(f"  {name:28} {mib(n)}")

swift_module = re.compile(r"^_?\$s(\d+)([A-Za-z_][A-Za-z0-9_]*)")
def origin(name):
    if "icudt" in name or name.startswith("icudt"):
        return "ICU data (Foundation's _FoundationICU)"
    if "icu_" in name or name.startswith(("u_", "ucol_", "ubrk_", "udat_", "unum_", "uloc_", "ures_", "ucnv_", "utrans_", "ucal_", "uprv_", "ulist_", "ustr")):
        return "ICU code (_FoundationICU)"
    if name.startswith("CCryptoBoringSSL") or "CCryptoBoringSSL" in name:
        return "BoringSSL (swift-crypto)"
    if "simdjson" in name:
        return "simdjson (C++)"
    m = swift_module.match(name)
    if m:
        n = int(m.group(1))
        module = m.group(2)[:n]
        return {"s": "Swift stdlib", "So": "C types (imported)", "SC": "C types (imported)"}.get(module, module)
    if name.startswith("$ss") or name.startswith("_$ss") or name.startswith("swift_") or name.startswith("_swift"):
        return "Swift stdlib/runtime"
    return "other (C/C++, runtime)"

sizes = collections.Counter()
total = 0
out = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    parts = line.split()
    if len(parts) != 4:
        continue
    size = int(parts[1], 16)
    sizes[origin(parts[3])] += size
    total += size
print(f"defined symbols: {mib(total)} in all; by origin:")
for name, n in sizes.most_common(25):
    print(f"  {name:40} {mib(n)}  {100 * n / total:5.1f}%")
