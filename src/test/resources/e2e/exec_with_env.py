"""Runs a program with exactly the given environment, values given in hex so that a test can
pass bytes no Java string can hold (invalid UTF-8, newlines).

usage: exec_with_env.py KEY=HEXVALUE... -- PROGRAM ARGS...
"""
import os
import sys

split = sys.argv.index("--")
env = {}
for pair in sys.argv[1:split]:
    key, _, value = pair.partition("=")
    env[key.encode()] = bytes.fromhex(value)
os.execve(sys.argv[split + 1], sys.argv[split + 1:], env)
