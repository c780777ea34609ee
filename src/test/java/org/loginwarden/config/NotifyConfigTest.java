package org.loginwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The notification keys: notify_command, notify_on, notify_mail, notify_timeout. */
class NotifyConfigTest {

  private static Config parse(String text) throws ConfigException {
    return ConfigParser.parse("test.conf", text.getBytes(StandardCharsets.UTF_8));
  }

  private static String error(String text) {
    return assertThrows(ConfigException.class, () -> parse(text)).getMessage();
  }

  @Test
  void offByDefaultWithKickLockUnlockChosen() {
    Config c = ConfigParser.defaults();
    assertNull(c.notifyCommand());
    assertEquals(List.of(), c.notifyMail());
    assertEquals(Set.of("kick", "lock", "unlock"), c.notifyOn());
    assertEquals(Duration.ofSeconds(10), c.notifyTimeout());
    assertFalse(c.notifies(), "nothing to run, nobody to mail");
  }

  @Test
  void aCommandOrAMailTurnsItOn() throws ConfigException {
    Config c = parse("notify_command = /usr/local/bin/page-admin\nnotify_on = open, lock"
        + " auth_lockout time_limit\nnotify_timeout = 30s\n");
    assertEquals(Path.of("/usr/local/bin/page-admin"), c.notifyCommand());
    assertEquals(Set.of("open", "lock", "auth_lockout", "time_limit"), c.notifyOn());
    assertEquals(Duration.ofSeconds(30), c.notifyTimeout());
    assertTrue(c.notifies());

    Config m = parse("notify_mail = admin@example.org, security-team@corp.example root\n");
    assertEquals(List.of("admin@example.org", "security-team@corp.example", "root"),
        m.notifyMail());
    assertTrue(m.notifies());
    assertFalse(parse("notify_mail = root\nnotify_on =\n").notifies(), "no event chosen");
  }

  @Test
  void theCommandIsOneAbsolutePathNeverAShellLine() {
    assertTrue(error("notify_command = notify.sh\n").contains("test.conf:1: expected an absolute"));
    assertTrue(error("notify_command = /bin/sh -c 'curl x'\n").contains("no shell"));
    assertTrue(error("notify_command = /usr/bin/notify\tx\n").contains("no shell"));
  }

  @Test
  void unknownEventsAreNamed() {
    String e = error("notify_on = kick lokc\n");
    assertTrue(e.contains("unknown event 'lokc'"), e);
    assertTrue(e.contains("auth_lockout"), "lists the vocabulary: " + e);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-oi@example.org", "a/b@example.org", "a(b)@example.org", "<admin@example.org>",
      "admin@example.org\r\nBcc: x@y", "\"a\"@example.org", "admin@-x", "admin@x.", "a;b@x",
      "admin@@example.org"})
  void mailAddressesArePlain(String bad) {
    String e = error("notify_mail = " + bad + "\n");
    assertTrue(e.startsWith("test.conf:"), e);
  }

  @Test
  void theTimeoutIsBounded() {
    assertTrue(error("notify_timeout = 0\n").contains("more than 0"));
    assertTrue(error("notify_timeout = 11m\n").contains("at most 10m"));
  }
}
