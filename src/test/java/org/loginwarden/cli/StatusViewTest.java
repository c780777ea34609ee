package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.loginwarden.app.Warden.UserStatus;
import org.loginwarden.core.AuthPolicy;
import org.loginwarden.core.Lock;
import org.loginwarden.core.OnViolation;
import org.loginwarden.core.Policy;
import org.loginwarden.core.Presence;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;
import org.loginwarden.core.SessionLimits;
import org.loginwarden.core.UserState;

class StatusViewTest {

  private static final Instant T = Instant.parse("2026-03-01T12:00:00.987Z");
  private static final Instant NOW = T.plusSeconds(600);
  private static final Policy POLICY = new Policy(1, OnViolation.KICK_ALL, 3,
      Duration.ofMinutes(10), Duration.ZERO, false);
  private static final SessionLimits IDLE_15M = new SessionLimits(Duration.ZERO,
      Duration.ofMinutes(15), Duration.ofMinutes(1), false);

  private static final Session ALICE_1 = new Session(1000, 5000, 7, "sshd", "192.0.2.7", 50022,
      "ssh", "publickey", "ssh-ed25519 AAAA", T, null);
  private static final Session ALICE_2 = new Session(2000, 6000, Session.NO_AUDIT_SESSION,
      "sshd", null, 0, null, "password", null, T.plusSeconds(60), T.plusSeconds(61));
  private static final Session CAROL_1 = new Session(3000, 7000, 9, "sshd", "2001:db8::1", 0,
      "pts/3", null, null, T, null);

  private static UserStatus alice() {
    return new UserStatus(new UserState("alice", List.of(ALICE_1, ALICE_2), List.of(T), null),
        Map.of(ALICE_1.key(), Presence.SETTLING), List.of(T), POLICY, IDLE_15M, false);
  }

  private static UserStatus bob() {
    Lock lock = new Lock(T, null, "admin", "root", null);
    return new UserStatus(new UserState("bob", List.of(), List.of(), lock), Map.of(),
        List.of(), POLICY, SessionLimits.NONE, false);
  }

  private static UserStatus carol() {
    Lock lock = new Lock(T, T.plusSeconds(3600), "violations", "loginwarden",
        new SavedAccount(false, ""));
    return new UserStatus(new UserState("carol", List.of(CAROL_1), List.of(T, T), lock),
        Map.of(CAROL_1.key(), Presence.CLOSING), List.of(T, T),
        new Policy(2, OnViolation.REFUSE_NEW, 5, Duration.ofHours(1), Duration.ZERO, false),
        SessionLimits.NONE, false);
  }

  /** Locked out by failed logins 3 s ago, for 10 s. */
  private static UserStatus erin() {
    Lock lock = new Lock(NOW.minusSeconds(3), NOW.plusSeconds(7), "auth_failures",
        "loginwarden", null);
    List<Instant> failed = List.of(NOW.minusSeconds(9), NOW.minusSeconds(6), NOW.minusSeconds(3));
    return new UserStatus(new UserState("erin", List.of(), List.of(), lock, failed), Map.of(),
        List.of(), POLICY, SessionLimits.NONE, false, failed, new AuthPolicy(3,
            Duration.ofMinutes(15), Duration.ofSeconds(10), 2, Duration.ofSeconds(5), true));
  }

  @Test
  void tableWithLegend() {
    String out = new StatusView(NOW, List.of(alice(), bob(), carol(), erin())).table(true);

    assertEquals("""
        USER  SESSION PID  REMOTE               TTY   SERVICE OPENED               AGE    IDLE   ENDS                    STATE
        alice 7       1000 192.0.2.7 port 50022 ssh   sshd    2026-03-01T12:00:00Z 10 min 10 min in 5 min (idle_timeout) settling
        alice -       2000 -                    -     sshd    2026-03-01T12:01:00Z 9 min  9 min  -                       ending
        carol 9       3000 2001:db8::1          pts/3 sshd    2026-03-01T12:00:00Z 10 min 10 min -                       closing

        USER  SESSIONS VIOLATIONS FAILURES   LOCKED               REASON        UNTIL                LEFT
        alice 2        1/3 in 10m -          -                    -             -                    -
        bob   0        0/3 in 10m -          2026-03-01T12:00:00Z admin         unlock               -
        carol 1        2/5 in 1h  -          2026-03-01T12:00:00Z violations    2026-03-01T13:00:00Z 50 min
        erin  0        0/3 in 10m 3/3 in 15m 2026-03-01T12:09:57Z auth_failures 2026-03-01T12:10:07Z 7 s

        4 users listed, 3 sessions, 3 locked.
        """, out);
  }

  @Test
  void noLegendDropsHeaderAndFooter() {
    String out = new StatusView(NOW, List.of(bob())).table(false);

    assertEquals("bob 0 0/3 in 10m - 2026-03-01T12:00:00Z admin unlock -\n", out);
  }

  @Test
  void oneOfEachIsSingular() {
    UserStatus one = new UserStatus(new UserState("dave", List.of(ALICE_1), List.of(), null),
        Map.of(), List.of(), POLICY, IDLE_15M, true);

    String out = new StatusView(NOW, List.of(one)).table(true);

    assertTrue(out.endsWith("\n1 user listed, 1 session, 0 locked.\n"), out);
    assertTrue(out.contains(" live\n"), "a session missing from the presence map is live");
    assertTrue(out.contains(" 10 min - "), "an exempt user's session has no end: " + out);
  }

  @Test
  void nobodyAtAll() {
    assertEquals("USER SESSIONS VIOLATIONS FAILURES LOCKED REASON UNTIL LEFT\n\n"
        + "0 users listed, 0 sessions, 0 locked.\n", new StatusView(NOW, List.of()).table(true));
    assertEquals("", new StatusView(NOW, List.of()).table(false));
  }

  @Test
  void noLineHasTrailingBlanks() {
    String out = new StatusView(NOW, List.of(alice(), bob(), carol())).table(true);

    for (String line : out.split("\n")) {
      assertEquals(line.stripTrailing(), line);
    }
  }

  @Test
  void json() throws Exception {
    String out = new StatusView(NOW, List.of(alice(), bob(), carol())).json();

    assertTrue(out.endsWith("}\n"), out);
    JsonNode root = new ObjectMapper().readTree(out);
    assertEquals(List.of("users"), iterable(root.fieldNames()));
    JsonNode users = root.get("users");
    assertEquals(3, users.size());

    JsonNode alice = users.get(0);
    assertEquals("alice", alice.get("user").textValue());
    assertFalse(alice.get("locked").booleanValue());
    assertFalse(alice.has("lock"));
    assertEquals(1, alice.get("violations").size());
    assertEquals(T.toString(), alice.get("violations").get(0).textValue());
    assertEquals(3, alice.get("violationLimit").intValue());
    assertEquals("10m", alice.get("violationWindow").textValue());
    JsonNode s1 = alice.get("sessions").get(0);
    assertEquals(1000, s1.get("pid").longValue());
    assertEquals(5000, s1.get("startTime").longValue());
    assertEquals(7, s1.get("auditSession").longValue());
    assertEquals("192.0.2.7", s1.get("remoteHost").textValue());
    assertEquals(50022, s1.get("remotePort").intValue());
    assertEquals("ssh-ed25519 AAAA", s1.get("authKey").textValue());
    assertEquals(T.toString(), s1.get("opened").textValue(), "JSON keeps full precision");
    assertTrue(s1.get("ending").isNull());
    assertEquals("settling", s1.get("state").textValue());
    assertEquals(600, s1.get("ageSeconds").longValue());
    assertEquals(600, s1.get("idleSeconds").longValue());
    assertEquals(T.plusSeconds(900).toString(), s1.get("endsAt").textValue());
    assertEquals("idle_timeout", s1.get("endsBy").textValue());
    JsonNode s2 = alice.get("sessions").get(1);
    assertFalse(s2.has("auditSession"), "no audit session, no field");
    assertTrue(s2.get("remoteHost").isNull());
    assertEquals(T.plusSeconds(61).toString(), s2.get("ending").textValue());
    assertEquals("live", s2.get("state").textValue());

    JsonNode bobLock = users.get(1).get("lock");
    assertTrue(users.get(1).get("locked").booleanValue());
    assertTrue(bobLock.get("until").isNull());
    assertEquals("admin", bobLock.get("reason").textValue());
    assertEquals("root", bobLock.get("by").textValue());
    assertFalse(bobLock.get("shadowLocked").booleanValue());

    JsonNode carolLock = users.get(2).get("lock");
    assertEquals(T.plusSeconds(3600).toString(), carolLock.get("until").textValue());
    assertTrue(carolLock.get("shadowLocked").booleanValue());
    assertEquals("closing", users.get(2).get("sessions").get(0).get("state").textValue());
  }

  @Test
  void jsonShowsFailedLoginsAndTimeLeft() throws Exception {
    JsonNode root = new ObjectMapper().readTree(
        new StatusView(NOW, List.of(bob(), erin())).json());

    JsonNode bob = root.get("users").get(0);
    assertEquals(0, bob.get("authFailures").size());
    assertEquals(0, bob.get("authFailureLimit").intValue(), "0: not counted");
    assertTrue(bob.get("lock").get("secondsLeft").isNull(), "until unlocked");
    JsonNode erin = root.get("users").get(1);
    assertEquals(3, erin.get("authFailures").size());
    assertEquals(NOW.minusSeconds(3).toString(), erin.get("authFailures").get(2).textValue());
    assertEquals(3, erin.get("authFailureLimit").intValue());
    assertEquals("15m", erin.get("authFailureWindow").textValue());
    assertEquals("auth_failures", erin.get("lock").get("reason").textValue());
    assertEquals(7, erin.get("lock").get("secondsLeft").longValue());
    assertFalse(erin.get("lock").get("shadowLocked").booleanValue());
  }

  @Test
  void jsonOfNobody() throws Exception {
    JsonNode root = new ObjectMapper().readTree(new StatusView(NOW, List.of()).json());

    assertEquals(0, root.get("users").size());
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
