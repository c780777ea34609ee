package org.loginwarden.config;

import java.util.List;

/**
 * Every key {@link ConfigParser} knows, with its default and meaning: the one source of the
 * commented default file that install writes, the loginwarden.conf(5) man page and the
 * README's table. ConfigReferenceTest holds it to the parser, so neither can drift.
 */
public final class ConfigReference {

  /**
   * One key.
   *
   * @param value     the default, as it would be written in the file
   * @param inSection whether {@code [user]} and {@code [group]} sections may override it
   */
  public record Key(String name, String value, boolean inSection, String meaning) {}

  public static final List<Key> KEYS = List.of(
      new Key("max_sessions", "1", true, "live sessions a user may have (1 to 1000)"),
      new Key("on_violation", "kick_all", false, "kick_all: end every session of the user and "
          + "refuse the new one; refuse_new: refuse only the new one"),
      new Key("violations", "3", true,
          "the Nth violation within violation_window locks the account (1 to 100)"),
      new Key("violation_window", "10m", true, "how long a violation counts"),
      new Key("lock_time", "0", true,
          "how long a violation lock lasts; 0 = until loginwarden unlock"),
      new Key("services", "sshd", false, "PAM services to watch; others pass through"),
      new Key("exempt_users", "root", false,
          "never counted, kicked or locked (root always is)"),
      new Key("exempt_groups", "", false,
          "likewise for members of these groups (resolved through NSS)"),
      new Key("state_dir", "/var/lib/loginwarden", false,
          "violations and locks; must survive reboots"),
      new Key("run_dir", "/run/loginwarden", false, "live sessions and lock files"),
      new Key("audit_log", "/var/log/loginwarden/audit.jsonl", false,
          "the audit trail, one JSON object per line"),
      new Key("log_file", "/var/log/loginwarden/loginwarden.log", false,
          "one human line per decision; empty = none"),
      new Key("lock_timeout", "5s", false,
          "longest wait for a user's store lock (at most 60s)"),
      new Key("kill_grace", "2s", false, "SIGTERM, then SIGKILL after this long (at most 60s)"),
      new Key("on_error", "open", false,
          "open or closed: the answer when loginwarden itself fails"),
      new Key("dry_run", "false", false,
          "decide, log and audit, but end nothing, refuse nothing, lock nothing"),
      new Key("auth_failures", "0", true, "failed logins within auth_failure_window that lock "
          + "the account (0 to 100; 0 = off; needs the auth lines in /etc/pam.d/sshd)"),
      new Key("auth_failure_window", "15m", true, "how long a failed login counts"),
      new Key("auth_lockout", "15m", true, "how long a failure lockout lasts: 1s to 43200m, "
          + "or 0 = until loginwarden unlock"),
      new Key("backoff_threshold", "2", true, "failed logins let through without delay (1 to 3)"),
      new Key("backoff_factor", "5s", true, "each failure past the threshold delays the next "
          + "attempt this much more (5s to 10s)"),
      new Key("console_exempt", "true", true, "a login on a local terminal is never counted "
          + "nor refused by a failure lockout"),
      new Key("max_session_time", "0", true,
          "end sessions this old; 0 = no limit (needs loginwarden watch or sweep)"),
      new Key("idle_timeout", "0", true,
          "end sessions idle this long; 0 = no limit (needs loginwarden watch or sweep)"),
      new Key("warn_before", "1m", true,
          "warn a pty session this long before a limit ends it, once; 0 = never"),
      new Key("sweep_interval", "10s", false, "how often loginwarden watch sweeps"),
      new Key("foreground_job_is_activity", "false", false,
          "whether a command running in a pty's foreground keeps the session from idling"),
      new Key("notify_command", "", false, "a program to run on each chosen event: one "
          + "absolute path, no arguments, never a shell"),
      new Key("notify_on", "kick lock unlock", false, "the events to notify of: open, "
          + "violation, kick, refuse, lock, auth_lockout, unlock, time_limit, error"),
      new Key("notify_mail", "", false, "mail addresses to mail each chosen event to through "
          + "/usr/sbin/sendmail -t -oi"),
      new Key("notify_timeout", "10s", false,
          "how long the notifier and sendmail may run before they are killed (1s to 10m)"),
      new Key("store", "file", false, "file: this host's own store; postgresql: one login per "
          + "user across every host sharing the database (fleet mode)"),
      new Key("db_url", "", false, "fleet mode: jdbc:postgresql://HOST:5432/DATABASE"
          + "?sslmode=verify-full, without a password"),
      new Key("db_user", "", false, "fleet mode: the database role"),
      new Key("db_password_file", "", false, "fleet mode: the role's password, in a file "
          + "owned by root and readable by no one else"),
      new Key("db_timeout", "2s", false, "fleet mode: the longest a login waits for the "
          + "database, connect and each statement (at most 30s)"),
      new Key("host_id", "", false, "fleet mode: this host's name in the fleet; empty = "
          + "/etc/machine-id"),
      new Key("host_timeout", "30s", false, "fleet mode: a host whose watcher has not "
          + "reported for this long is presumed dead; its sessions stop counting"));

  private ConfigReference() {}

  /**
   * The file install writes to /etc/security/loginwarden.conf: every key, commented out, at
   * its default, so that the file means exactly the built-in defaults until an admin edits it.
   */
  public static String defaultFile() {
    StringBuilder b = new StringBuilder();
    b.append("# /etc/security/loginwarden.conf: see loginwarden.conf(5).\n")
        .append("# key = value; durations 90s 10m 8h 1d (a bare number is seconds); lists\n")
        .append("# separated by spaces or commas. Every line below is commented out and shows\n")
        .append("# the built-in default. The file must not be writable by group or others.\n");
    for (Key k : KEYS) {
      b.append('\n');
      for (String line : wrap(k.meaning() + (k.inSection() ? " [user]/[group]: yes" : ""),
          76)) {
        b.append("# ").append(line).append('\n');
      }
      b.append("#").append(k.name()).append(" = ").append(k.value()).append('\n');
    }
    b.append("\n# Per-user and per-group overrides of the keys marked [user]/[group]; a user\n")
        .append("# section beats any group section, later group sections beat earlier ones:\n")
        .append("#\n#[group ops]\n#max_sessions = 2\n#\n#[user backup]\n#max_sessions = 4\n");
    return b.toString();
  }

  /** Words of {@code text} in lines of at most {@code width} characters. */
  static List<String> wrap(String text, int width) {
    List<String> out = new java.util.ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        out.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    out.add(line.toString());
    return out;
  }
}
