package org.loginwarden.app;

import org.slf4j.LoggerFactory;

/**
 * Where the one human line per decision goes. Admin commands and the watcher log it through
 * slf4j; the PAM hook, which writes that one line per run and nothing else on a good day,
 * appends it to the log file itself, so that a login does not start a logging framework
 * (measured: slf4j's discovery and logback's start were 4.6 of a hook call's 60 ms).
 */
public interface DecisionLog {

  void write(boolean error, String line);

  /** Through slf4j, under Warden's logger name. */
  DecisionLog SLF4J = (error, line) -> {
    if (error) {
      LoggerFactory.getLogger(Warden.class).error("{}", line);
    } else {
      LoggerFactory.getLogger(Warden.class).info("{}", line);
    }
  };
}
