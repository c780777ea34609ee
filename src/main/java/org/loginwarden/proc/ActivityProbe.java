package org.loginwarden.proc;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.loginwarden.core.Observation;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionKey;

/**
 * Observes how sessions are used, for the idle timeout: one scan of /proc per sweep, however
 * many sessions there are. A session's own processes are those of its audit session (or its
 * process tree) except its sshd ones: the [priv] sshd and the user-side sshd, whose bytes
 * include the client's keepalives.
 */
public final class ActivityProbe {

  private final ProcessTable table;
  private final Terminals terminals;

  public ActivityProbe(ProcessTable table, Terminals terminals) {
    this.table = table;
    this.terminals = terminals;
  }

  public Map<SessionKey, Observation> observe(List<Session> sessions) {
    List<ProcessInfo> all = table.all();
    Map<Long, List<ProcessInfo>> byAudit = new HashMap<>();
    Map<Long, List<ProcessInfo>> byParent = new HashMap<>();
    for (ProcessInfo p : all) {
      if (p.isZombie()) {
        continue;
      }
      byAudit.computeIfAbsent(p.auditSession(), k -> new ArrayList<>()).add(p);
      byParent.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p);
    }
    Map<SessionKey, Observation> out = new HashMap<>();
    for (Session s : sessions) {
      out.put(s.key(), observe(s, byAudit, byParent));
    }
    return out;
  }

  private Observation observe(Session s, Map<Long, List<ProcessInfo>> byAudit,
      Map<Long, List<ProcessInfo>> byParent) {
    List<ProcessInfo> members = s.hasAuditSession()
        ? byAudit.getOrDefault(s.auditSession(), List.of())
        : tree(s.pid(), byParent);
    Set<Long> sshd = new HashSet<>(List.of(s.pid()));
    for (ProcessInfo child : byParent.getOrDefault(s.pid(), List.of())) {
      sshd.add(child.pid());
    }
    long own = 0;
    long sshdBytes = 0;
    boolean hasOwn = false;
    String pty = null;
    boolean foreground = false;
    for (ProcessInfo p : members) {
      long io = Math.max(0, table.ioBytes(p.pid()));
      if (sshd.contains(p.pid())) {
        if (p.pid() != s.pid()) {
          sshdBytes += io;
        }
        continue;
      }
      hasOwn = true;
      own += io;
      String t = table.terminal(p.pid());
      if (t != null) {
        pty = pty == null ? t : pty;
        // The login shell leads its Unix session; a job in its foreground is "busy".
        if (p.unixSession() == p.pid()) {
          foreground |= table.foregroundJob(p.pid());
        }
      }
    }
    Instant input = pty == null ? null : terminals.lastInput(pty);
    return new Observation(pty, input, hasOwn ? own : sshdBytes, !hasOwn, foreground);
  }

  private static List<ProcessInfo> tree(long root, Map<Long, List<ProcessInfo>> byParent) {
    List<ProcessInfo> out = new ArrayList<>();
    List<Long> todo = new ArrayList<>(List.of(root));
    Set<Long> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      long pid = todo.remove(todo.size() - 1);
      for (ProcessInfo c : byParent.getOrDefault(pid, List.of())) {
        if (seen.add(c.pid())) {
          out.add(c);
          todo.add(c.pid());
        }
      }
    }
    return out;
  }
}
