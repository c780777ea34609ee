package org.loginwarden.app;

import java.util.List;
import org.loginwarden.core.Session;

/** Carries out the ending of sessions the decision core asked for, after the store lock. */
public interface SessionEnding {

  /**
   * @param sessions recorded sessions to end, whole process trees included
   * @param refused  a connection whose session was just refused, to end once the client has
   *                 read why; or null
   */
  void end(List<Session> sessions, Session refused);
}
