package org.loginwarden.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.loginwarden.core.AuditRecord;
import org.loginwarden.core.AuthFailureRules;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.Decider;
import org.loginwarden.core.Decision;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Policy;
import org.loginwarden.core.Presence;
import org.loginwarden.core.Session;
import org.loginwarden.core.UserState;

/** Which audit records become which notices, and how a notice reads. */
class NoticeTest {

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final Session LIVE = session(100, "10.0.0.5");
  private static final Session SECOND = session(200, "10.0.0.9");

  private static Session session(long pid, String rhost) {
    return new Session(pid, pid * 10, pid + 1, "sshd", rhost, 50022, "ssh", "publickey",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey", NOW.minusSeconds(60), null);
  }

  /** The records the real decision core writes when alice's third concurrent login locks her. */
  private static List<AuditRecord> thirdViolation() {
    Policy policy = new Policy(1, OnViolation.KICK_ALL, 3, Duration.ofMinutes(10), Duration.ZERO,
        false);
    UserState state = UserState.empty("alice").withSessions(List.of(LIVE))
        .withViolations(List.of(NOW.minusSeconds(120), NOW.minusSeconds(60)));
    Decision d = new Decider().open(state, SECOND, Map.of(LIVE.key(), Presence.LIVE), policy, NOW);
    return d.audit();
  }

  private static List<Notice> notices(List<AuditRecord> records, String... chosen) {
    return DetachedNotifier.select(records, Set.of(chosen), "host1", NOW);
  }

  @Test
  void aLockAfterViolationsReadsAsTheIssueAsksAndKicksAreNamed() {
    List<Notice> all = notices(thirdViolation(), NotifyEvent.NAMES.toArray(String[]::new));
    assertEquals(List.of("violation", "kick", "lock", "refuse"),
        all.stream().map(Notice::event).toList());
    Notice lock = all.get(2);
    assertEquals("loginwarden: alice locked on host1 after 3 concurrent logins", lock.headline());
    assertEquals("loginwarden: session of alice ended on host1: concurrent login from 10.0.0.9",
        all.get(1).headline());
  }

  @Test
  void onlyChosenEventsAreSelected() {
    assertEquals(List.of("kick", "lock"),
        notices(thirdViolation(), "kick", "lock", "unlock").stream().map(Notice::event).toList());
    assertEquals(List.of(), notices(thirdViolation(), "open"));
  }

  @Test
  void aFailedLoginLockoutIsItsOwnEvent() {
    AuthPolicy policy = new AuthPolicy(2, Duration.ofMinutes(15), Duration.ofMinutes(15), 2,
        Duration.ofSeconds(5), true);
    UserState state = UserState.empty("bob").withAuthFailures(List.of(NOW.minusSeconds(5)));
    List<AuditRecord> audit = AuthFailureRules.attempt(state, policy, false, SECOND, NOW)
        .decision().audit();
    List<Notice> n = notices(audit, "lock", "auth_lockout");
    assertEquals(List.of("auth_lockout"), n.stream().map(Notice::event).toList(),
        "not a violation lock: " + audit);
    assertEquals("loginwarden: bob locked out on host1 after 2 failed logins", n.get(0).headline());
  }

  @Test
  void adminActionsAndTimeLimits() {
    Decider d = new Decider();
    UserState alice = UserState.empty("alice");
    AuditRecord lock = d.lock(alice, "root (login uid 1000)", NOW).audit().get(0);
    assertEquals("loginwarden: alice locked on host1 by root (login uid 1000)",
        Notice.of(lock, "host1", NOW).headline());
    UserState locked = d.lock(alice, "root", NOW).next();
    AuditRecord unlock = d.unlock(locked, "carol", NOW).audit().get(0);
    assertEquals("loginwarden: alice unlocked on host1 by carol",
        Notice.of(unlock, "host1", NOW).headline());
    AuditRecord idle = new AuditRecord("idle", "alice", LIVE, "idle for 14 min (idle_timeout 15m)",
        AuditRecord.BY_LOGINWARDEN, false);
    Notice t = Notice.of(idle, "host1", NOW);
    assertEquals("time_limit", t.event());
    assertEquals("idle", t.auditEvent());
    assertEquals("loginwarden: session of alice ended on host1: idle for 14 min "
        + "(idle_timeout 15m)", t.headline());
    AuditRecord open = new AuditRecord("open", "alice", LIVE, "1 of 1",
        AuditRecord.BY_LOGINWARDEN, false);
    assertEquals("loginwarden: alice logged in on host1 from 10.0.0.5 with publickey",
        Notice.of(open, "host1", NOW).headline());
  }

  @Test
  void routineRecordsAreNoNews() {
    for (String event : List.of("close", "warn", "auth_attempt", "auth_success", "console",
        "notify_failed")) {
      assertNull(NotifyEvent.of(new AuditRecord(event, "a", null, "x", "loginwarden", false)),
          event);
    }
  }

  @Test
  void environmentAndJsonCarryEveryFieldAndRoundTrip() throws IOException {
    Notice kick = notices(thirdViolation(), "kick").get(0);
    Map<String, String> env = kick.environment();
    assertEquals("kick", env.get("LOGINWARDEN_EVENT"));
    assertEquals("alice", env.get("LOGINWARDEN_USER"));
    assertEquals("10.0.0.5", env.get("LOGINWARDEN_RHOST"), "the ended session's own host");
    assertEquals("50022", env.get("LOGINWARDEN_RPORT"));
    assertEquals("concurrent login from 10.0.0.9", env.get("LOGINWARDEN_REASON"));
    assertEquals("host1", env.get("LOGINWARDEN_HOST"));
    assertEquals("2026-11-22T10:00:00Z", env.get("LOGINWARDEN_TIME"));
    assertEquals("loginwarden", env.get("LOGINWARDEN_BY"));
    assertEquals(kick.headline(), env.get("LOGINWARDEN_SUBJECT"));
    assertFalse(kick.json().contains("\n"), "one line");
    assertEquals(kick, Notice.parse(kick.json()));
    assertThrows(IOException.class, () -> Notice.parse("{\"event\":\"reboot\"}"));
    assertThrows(IOException.class, () -> Notice.parse("not json"));
  }

  @Test
  void noFieldCanAddAMailHeaderOrAnEnvironmentNul() {
    Session hostile = new Session(1, 1, 1, "sshd", "evil\r\nBcc: victim@example.org", 22, "ssh",
        "password", null, NOW, null);
    AuditRecord r = new AuditRecord("refuse", "mallory\nCc: x@y", hostile,
        "account locked\u0000\r\nX-Injected: yes", AuditRecord.BY_LOGINWARDEN, false);
    Notice n = Notice.of(r, "host1", NOW);
    String mail = n.mail(List.of("admin@example.org"));
    String headers = mail.substring(0, mail.indexOf("\n\n"));
    assertEquals(6, headers.lines().count(), headers);
    assertTrue(headers.lines().allMatch(l -> l.matches("^(To|Subject|Auto-Submitted|MIME-Version"
        + "|Content-Type|Content-Transfer-Encoding): .*")), headers);
    String body = mail.substring(mail.indexOf("\n\n"));
    assertFalse(body.lines().anyMatch(l -> l.startsWith("Bcc:") || l.startsWith("X-Injected")
        || l.startsWith("Cc:")), body);
    assertFalse(n.environment().values().stream().anyMatch(v -> v.contains("\0")));
  }

  @Test
  void valuesAreClippedSoABatchFitsAPipe() {
    AuditRecord r = new AuditRecord("error", "u", null, "x".repeat(100_000),
        AuditRecord.BY_LOGINWARDEN, false);
    assertTrue(Notice.of(r, "h", NOW).json().length() < 4096);
  }
}
