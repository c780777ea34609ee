package org.loginwarden.pam;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.loginwarden.store.UserNames;

/**
 * Any bytes as pam_exec's environment block: a {@link PamEnvironment} whose every value is
 * safe to log, audit and name a file by, or a {@link PamInputException} with one short line.
 */
class PamEnvironmentFuzzTest {

  @FuzzTest(maxDuration = "10m")
  void anyEnvironmentIsParsedSafelyOrRefused(byte[] environ) {
    try {
      PamEnvironment env = PamEnvironment.parse(environ);
      assertNull(UserNames.problem(env.user()), env.user());
      for (String v : Arrays.asList(env.type(), env.service(), env.remoteHost(), env.tty(),
          env.authMethod(), env.authKey())) {
        assertTrue(v == null || v.chars().allMatch(c -> c > 0x20 && c < 0x7f || c == ' '),
            "a control or non-ASCII character in " + v);
      }
      assertTrue(env.remotePort() >= 0 && env.remotePort() <= 65535);
    } catch (PamInputException e) {
      String m = e.getMessage();
      assertTrue(m.indexOf('\n') < 0 && m.indexOf('\r') < 0 && m.length() < 300,
          "not one short line: " + m);
    }
  }
}
