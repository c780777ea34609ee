package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.loginwarden.core.Session;

/**
 * Any bytes as a state file: what the reader accepts is exactly what it writes back, and
 * anything else is a {@link StateCodec.CorruptException} with a one-line message (the store
 * then moves the file aside). Any other exception is a finding.
 */
class StateCodecFuzzTest {

  @FuzzTest(maxDuration = "10m")
  void sessionsFileReadsBackOrIsCorrupt(byte[] file) {
    StateCodec.schemaOf(file);
    StateCodec.userOf(file);
    try {
      List<Session> read = StateCodec.readSessions("alice", file);
      assertTrue(read.size() <= StateCodec.MAX_SESSIONS, read.size() + " sessions");
      assertEquals(read, StateCodec.readSessions("alice", StateCodec.writeSessions("alice", read)));
    } catch (StateCodec.CorruptException e) {
      oneLine(e.getMessage());
    }
  }

  @FuzzTest(maxDuration = "10m")
  void usersFileReadsBackOrIsCorrupt(byte[] file) {
    try {
      StateCodec.Persistent p = StateCodec.readPersistent("alice", file);
      byte[] again = StateCodec.writePersistent("alice", p.violations(), p.lock(),
          p.authFailures());
      assertEquals(p, StateCodec.readPersistent("alice", again));
    } catch (StateCodec.CorruptException e) {
      oneLine(e.getMessage());
    }
  }

  private static void oneLine(String m) {
    assertTrue(m != null && m.indexOf('\n') < 0 && m.indexOf('\r') < 0 && m.length() < 2000,
        "not one short line: " + m);
  }
}
