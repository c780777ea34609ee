package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.loginwarden.config.OnError;

/** What the hook answers, and audits, when loginwarden itself fails. */
class PamRunnerTest {

  @Test
  void onErrorOpenLetsEveryoneIn() {
    assertTrue(PamRunner.letsIn(OnError.OPEN, "alice"));
    assertEquals("let in (on_error = open)", PamRunner.answer(OnError.OPEN, "alice"));
    assertEquals("let in (on_error = open)", PamRunner.answer(OnError.OPEN, "root"));
  }

  @Test
  void onErrorClosedRefusesAllButRoot() {
    assertFalse(PamRunner.letsIn(OnError.CLOSED, "alice"));
    assertEquals("refused (on_error = closed)", PamRunner.answer(OnError.CLOSED, "alice"));
    // Before the PAM environment is read the user is "-": refused too.
    assertFalse(PamRunner.letsIn(OnError.CLOSED, "-"));
    assertTrue(PamRunner.letsIn(OnError.CLOSED, "root"));
    assertEquals("let in (root, whatever on_error says)",
        PamRunner.answer(OnError.CLOSED, "root"));
  }
}
