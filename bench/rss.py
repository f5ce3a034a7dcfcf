"""rss.py -- run a command and report the peak memory of its process tree.

Usage: rss.py [--interval SECONDS] -- COMMAND [ARG...]

Samples /proc every INTERVAL (default 0.02 s) while COMMAND runs and
prints, on standard error, one line:

  rss: wall W s, peak per process P MiB (NAME), peak sum S MiB, N processes

"peak per process" is the largest VmHWM (the kernel's own high-water mark)
seen for any process of the tree; "peak sum" the largest sum of VmRSS over
the tree at one sample.  Exits with COMMAND's status.
"""
import os
import subprocess
import sys
import time


def children_of(root):
    """The pids of @root's tree (itself included)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = {root}, [root]
    while todo:
        p = todo.pop()
        for child, pp in parent.items():
            if pp == p and child not in tree:
                tree.add(child)
                todo.append(child)
    return tree


def status(pid):
    """(name, VmRSS KiB, VmHWM KiB) of @pid, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    name, rss, hwm = "?", 0, 0
    for line in text.splitlines():
        if line.startswith("Name:"):
            name = line.split()[1]
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return name, rss, hwm


def main(argv):
    interval = 0.02
    if argv[:1] == ["--interval"]:
        interval = float(argv[1])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    t0 = time.monotonic()
    proc = subprocess.Popen(argv)
    peak_one, peak_name, peak_sum, seen = 0, "", 0, set()
    while proc.poll() is None:
        total = 0
        for pid in children_of(proc.pid):
            st = status(pid)
            if st is None:
                continue
            name, rss, hwm = st
            seen.add(pid)
            total += rss
            if hwm > peak_one:
                peak_one, peak_name = hwm, name
        peak_sum = max(peak_sum, total)
        time.sleep(interval)
    wall = time.monotonic() - t0
    print(f"rss: wall {wall:.2f} s, peak per process {peak_one / 1024:.0f} MiB"
          f" ({peak_name}), peak sum {peak_sum / 1024:.0f} MiB,"
          f" {len(seen)} processes", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
