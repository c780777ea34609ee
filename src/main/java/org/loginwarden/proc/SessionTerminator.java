package org.loginwarden.proc;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.loginwarden.core.Presence;
import org.loginwarden.core.Session;

/**
 * Finds and ends the processes of recorded sessions, and tells whether a session still runs.
 *
 * <p>A session's processes are those carrying its audit session id (set by pam_loginuid and
 * inherited by everything the login starts, {@code setsid nohup} escapees included; a user
 * cannot change it). Where audit is off, the fallback is the process tree of the recorded
 * {@code [priv]} sshd plus the Unix sessions led by a member of that tree.
 */
public final class SessionTerminator {

  private static final long POLL_MILLIS = 20;
  /** After SIGKILL a process is gone within a scheduler tick; this bounds stragglers. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(2);

  private final ProcessTable table;

  public SessionTerminator(ProcessTable table) {
    this.table = table;
  }

  /** What /proc says about a recorded session now. */
  public Presence presence(Session s) {
    if (privOf(s).isEmpty()) {
      return Presence.GONE;
    }
    boolean zombieChild = false;
    for (long child : table.children(s.pid())) {
      Optional<ProcessInfo> c = table.get(child);
      if (c.isEmpty()) {
        continue;
      }
      if (c.get().isZombie()) {
        zombieChild = true;
      } else if (c.get().uid() > 0) {
        // The user-side sshd runs as the user; hooks sshd forks run as root.
        return Presence.LIVE;
      }
    }
    return zombieChild ? Presence.CLOSING : Presence.SETTLING;
  }

  /** The session's processes now (no zombies, never this process nor pid 1). */
  public List<ProcessInfo> members(Session s) {
    List<ProcessInfo> all = table.all();
    Map<Long, ProcessInfo> out = new LinkedHashMap<>();
    Optional<ProcessInfo> priv = privOf(s);
    boolean privAlive = priv.isPresent();
    if (s.hasAuditSession()) {
      for (ProcessInfo p : all) {
        if (p.auditSession() == s.auditSession()) {
          out.put(p.pid(), p);
        }
      }
    } else if (privAlive) {
      Map<Long, List<ProcessInfo>> byParent = new HashMap<>();
      for (ProcessInfo p : all) {
        byParent.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p);
      }
      Set<Long> ledSessions = new HashSet<>();
      Deque<ProcessInfo> todo = new ArrayDeque<>(List.of(priv.get()));
      while (!todo.isEmpty()) {
        ProcessInfo p = todo.pop();
        if (out.putIfAbsent(p.pid(), p) == null) {
          if (p.unixSession() == p.pid()) {
            ledSessions.add(p.pid());
          }
          todo.addAll(byParent.getOrDefault(p.pid(), List.of()));
        }
      }
      for (ProcessInfo p : all) {
        if (ledSessions.contains(p.unixSession())) {
          out.putIfAbsent(p.pid(), p);
        }
      }
    }
    if (privAlive) {
      out.putIfAbsent(priv.get().pid(), priv.get());
      // Root children of the [priv] sshd are its PAM hooks (our own close_session among
      // them), never user processes: let them finish, so the session's record is removed.
      for (long child : table.children(s.pid())) {
        table.get(child).filter(c -> c.uid() == 0).ifPresent(c -> out.remove(c.pid()));
      }
    } else {
      out.remove(s.pid());
    }
    out.remove(table.self());
    out.remove(1L);
    out.values().removeIf(ProcessInfo::isZombie);
    return new ArrayList<>(out.values());
  }

  /**
   * The recorded [priv] sshd, if the process now under its pid is still it: alive, the same
   * start time and, where the record has one, the same audit session (pam_loginuid set it
   * before the hook recorded it, and nothing changes it after). Otherwise the pid was reused.
   */
  private Optional<ProcessInfo> privOf(Session s) {
    return table.get(s.pid()).filter(p -> !p.isZombie() && p.startTime() == s.startTime()
        && (!s.hasAuditSession() || p.auditSession() == s.auditSession()));
  }

  /** One pass: signals every member of every session. Returns how many were signalled. */
  public int signalAll(List<Session> sessions, boolean kill) {
    return signalAll(sessions, kill, new HashSet<>());
  }

  /** Like {@link #signalAll(List, boolean)}, skipping processes already in {@code done}. */
  private int signalAll(List<Session> sessions, boolean kill, Set<ProcessInfo> done) {
    int sent = 0;
    for (Session s : sessions) {
      for (ProcessInfo p : members(s)) {
        if (done.add(p) && table.signal(p, kill)) {
          sent++;
        }
      }
    }
    return sent;
  }

  /**
   * Ends sessions: SIGTERM to every member and to anything forked meanwhile, then SIGKILL
   * after {@code grace}, until nothing is left or the bound is reached. Returns whether every
   * process is gone.
   */
  public boolean end(List<Session> sessions, Duration grace) {
    // TERM each process once: sshd cleans up (and runs close_session) on its first TERM.
    Set<ProcessInfo> termed = new HashSet<>();
    long termUntil = System.nanoTime() + grace.toNanos();
    while (System.nanoTime() - termUntil < 0) {
      signalAll(sessions, false, termed);
      if (allGone(sessions)) {
        return true;
      }
      pause();
    }
    long killUntil = System.nanoTime() + KILL_WAIT.toNanos();
    while (true) {
      signalAll(sessions, true);
      if (allGone(sessions)) {
        return true;
      }
      if (System.nanoTime() - killUntil >= 0) {
        return false;
      }
      pause();
    }
  }

  /** Waits at most {@code limit} for a session's [priv] sshd to exit by itself. */
  public boolean awaitGone(Session s, Duration limit) {
    long until = System.nanoTime() + limit.toNanos();
    while (presence(s) != Presence.GONE) {
      if (System.nanoTime() - until >= 0) {
        return false;
      }
      pause();
    }
    return true;
  }

  private boolean allGone(List<Session> sessions) {
    for (Session s : sessions) {
      if (!members(s).isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
