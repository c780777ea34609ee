"""A login by another maker's SSH stack: paramiko, with a key.

usage: paramiko_session.py PORT USER KEYFILE COMMAND
Runs COMMAND on an exec channel, copies its output, and exits with its status
(255 when the connection is closed under it, as OpenSSH's client does).
"""
import sys

import paramiko

port, user, keyfile, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    client.connect("127.0.0.1", port=int(port), username=user, key_filename=keyfile,
                   look_for_keys=False, allow_agent=False, timeout=20)
    _, stdout, _ = client.exec_command(command)
    sys.stdout.write(stdout.read().decode("utf-8", "replace"))
    sys.stdout.flush()
    status = stdout.channel.recv_exit_status()
    sys.exit(255 if status == -1 else status)
except (paramiko.SSHException, OSError) as e:
    print("paramiko: %s" % e)
    sys.exit(255)
finally:
    client.close()
