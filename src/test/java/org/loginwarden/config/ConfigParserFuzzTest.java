package org.loginwarden.config;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any bytes as a config file: a {@link Config}, or one {@link ConfigException} whose message
 * is one line naming the file. Anything else thrown is a finding. The normal suite replays
 * the seeds in {@code ConfigParserFuzzTestInputs}; {@code -Pfuzz} fuzzes (see the README).
 */
class ConfigParserFuzzTest {

  @FuzzTest(maxDuration = "10m")
  void anyFileParsesOrGivesOneLine(byte[] file) {
    try {
      Config c = ConfigParser.parse("fuzz.conf", file);
      assertNotNull(c.onError());
      assertTrue(c.maxSessions() >= 1 && c.maxSessions() <= 1000, "max_sessions " + c.maxSessions());
    } catch (ConfigException e) {
      String m = e.getMessage();
      assertTrue(m.startsWith("fuzz.conf:"), m);
      assertTrue(m.indexOf('\n') < 0 && m.indexOf('\r') < 0, "not one line: " + m);
      assertTrue(m.length() < 2000, "message of " + m.length() + " chars");
      assertNotNull(e.onError());
    }
  }
}
