package org.loginwarden.proc;

import java.util.List;
import java.util.Optional;

/** The processes of this machine. */
public interface ProcessTable {

  /** One process, or empty when the pid is not in use. */
  Optional<ProcessInfo> get(long pid);

  /** The pids of a process's children. */
  List<Long> children(long pid);

  /** Every process, uid left unread (-1) for speed. */
  List<ProcessInfo> all();

  /** Bytes the process has read plus written (rchar + wchar of /proc/PID/io), or -1. */
  long ioBytes(long pid);

  /** The pseudo-terminal on the process's stdin (/dev/pts/N), or null. */
  String terminal(long pid);

  /**
   * Whether a job other than the process's own group holds its terminal's foreground: for a
   * login shell, that a command is running in the foreground rather than the shell waiting.
   */
  boolean foregroundJob(long pid);

  /** This process's pid. */
  long self();

  /** This process's parent's pid, or -1 if unknown. */
  long parentOfSelf();

  /**
   * Sends SIGTERM, or SIGKILL when {@code kill}, if and only if the pid still names the process
   * with that start time and audit session. Returns whether a signal was sent.
   */
  boolean signal(ProcessInfo target, boolean kill);
}
