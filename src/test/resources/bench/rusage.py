#!/usr/bin/env python3
"""Runs a command and prints its CPU time (user + system, ms) and peak RSS (KB), as measured by
the kernel for that process and its children (wait4's rusage): microsecond resolution, where
GNU time prints only hundredths of a second. Exits with the command's status."""
import os
import sys

pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write("%.3f %d\n" % ((usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
