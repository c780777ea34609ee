"""A stand-in for sshd's per-connection [priv] process, for tests that run the real hook
without an sshd: it holds a user-side child (as sshd's user-side process is), gets its own
audit session id as pam_loginuid would give it, and runs the hook as its own child, so that
the hook identifies the session by this process exactly as it does under sshd.

usage: fake_priv.py UID USER SERVICE CLIENT_OUT -- HOOK ARGS...

The hook's stdout (pam_exec's "stdout": what the client would be shown) is appended to
CLIENT_OUT; its stderr goes to this process's stderr.

Reads commands on stdin, one per line, and answers each with one line on stdout:
  TYPE DELAY_MS [KEY=HEX...]
                  run the hook with PAM_TYPE=TYPE; with DELAY_MS >= 0, SIGKILL it that many
                  milliseconds after its start. Each KEY=HEX sets a variable to exactly those
                  bytes (KEY= unsets it). Answers "exit N", or "killed" when the kill landed
                  before it exited, "killed-locked" when the hook held a POSIX lock (the
                  store's) at that moment, as /proc/locks shows.
End of input: the user-side child is killed and this process exits.
"""
import os
import signal
import sys
import time

uid = int(sys.argv[1])
user, service, client_out = sys.argv[2], sys.argv[3], sys.argv[4]
hook = sys.argv[sys.argv.index("--") + 1:]

try:
    with open("/proc/self/loginuid", "w") as f:
        f.write(str(uid))
except OSError:
    pass  # audit off: the hook falls back to the process tree


def holds_lock(pid):
    """Whether pid holds a POSIX record lock (fcntl, as Java's FileChannel.lock takes)."""
    with open("/proc/locks") as f:
        return any(l.split()[1:2] == ["POSIX"] and l.split()[4:5] == [str(pid)] for l in f)


child = os.fork()
if child == 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    os.execv("/bin/sleep", ["sleep", "100000"])

env = {b"PAM_USER": user.encode(), b"PAM_SERVICE": service.encode(),
       b"PAM_RHOST": b"192.0.2.7", b"SSH_CONNECTION": b"192.0.2.7 50022 127.0.0.1 22"}
print("ready", flush=True)
for line in sys.stdin:
    kind, delay, *overrides = line.split()
    delay = int(delay)
    hook_env = {**env, b"PAM_TYPE": kind.encode()}
    for pair in overrides:
        key, _, value = pair.partition("=")
        hook_env.pop(key.encode(), None)
        if value:
            hook_env[key.encode()] = bytes.fromhex(value)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(os.open(client_out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 1)
            os.execve(hook[0], hook, hook_env)
        finally:
            os._exit(127)
    killed = False
    locked = False
    if delay >= 0:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            left = started + delay / 1000.0 - time.monotonic()
            if left <= 0:
                locked = holds_lock(pid)
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                killed = os.WIFSIGNALED(status)
                break
            time.sleep(min(left, 0.005))
    else:
        _, status = os.waitpid(pid, 0)
    if killed:
        print("killed-locked" if locked else "killed", flush=True)
    else:
        print("exit %d" % os.waitstatus_to_exitcode(status), flush=True)

os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
