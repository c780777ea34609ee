package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.loginwarden.core.Activity;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;

class StateCodecTest {

  private static final Instant T = Instant.parse("2026-03-01T12:00:00.123456789Z");
  private static final String USER = "alice";

  private static final Session FULL = new Session(1234, 987654321L, 42, "sshd", "2001:db8::1",
      50022, "ssh", "publickey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", T, T.plusSeconds(5));
  private static final Session SPARSE = new Session(77, 1, Session.NO_AUDIT_SESSION, "sshd",
      null, 0, null, null, null, T, null);

  private static byte[] json(String text) {
    return text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
  }

  /** A sessions file with one session whose fields are {@code fields}. */
  private static byte[] sessionsWith(String fields) {
    return json("{'schema':1,'user':'alice','sessions':[{" + fields + "}]}");
  }

  private static final String GOOD_SESSION = "'pid':1,'start':2,'auditSession':3,"
      + "'service':'sshd','rport':0,'opened':'2026-03-01T12:00:00Z'";

  @Test
  void sessionsRoundTrip() throws Exception {
    List<Session> sessions = List.of(FULL, SPARSE);

    byte[] bytes = StateCodec.writeSessions(USER, sessions);

    assertEquals(sessions, StateCodec.readSessions(USER, bytes));
    assertEquals(StateCodec.SCHEMA, StateCodec.schemaOf(bytes));
    assertEquals('\n', bytes[bytes.length - 1]);
    assertEquals(List.of(), StateCodec.readSessions(USER, StateCodec.writeSessions(USER,
        List.of())));
  }

  @ParameterizedTest(name = "lock {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  void persistentStateRoundTrips(int variant) throws Exception {
    Lock lock = switch (variant) {
      case 0 -> null;
      case 1 -> new Lock(T, null, "admin", "bob", null);
      case 2 -> new Lock(T, T.plusSeconds(3600), "violations", "loginwarden",
          new SavedAccount(false, ""));
      default -> new Lock(T, T.plusSeconds(3600), "violations", "loginwarden",
          new SavedAccount(true, "20000"));
    };
    List<Instant> violations = variant == 0 ? List.of() : List.of(T.minusSeconds(60), T);

    byte[] bytes = StateCodec.writePersistent(USER, violations, lock);

    assertEquals(new StateCodec.Persistent(violations, lock),
        StateCodec.readPersistent(USER, bytes));
  }

  @Test
  void namesThatNeedEscapingRoundTrip() throws Exception {
    String user = "CORP\\\u00e9\"x";
    byte[] bytes = StateCodec.writeSessions(user, List.of(SPARSE));

    assertEquals(List.of(SPARSE), StateCodec.readSessions(user, bytes));
  }

  @Test
  void unknownFieldsAreIgnored() throws Exception {
    byte[] bytes = json("{'schema':1,'user':'alice','future':{'a':[1,2]},'sessions':[{"
        + GOOD_SESSION + ",'newField':'x','other':[true]}]}");

    List<Session> read = StateCodec.readSessions(USER, bytes);

    assertEquals(1, read.size());
    assertEquals(new Session(1, 2, 3, "sshd", null, 0, null, null, null,
        Instant.parse("2026-03-01T12:00:00Z"), null), read.get(0));
    assertEquals(new StateCodec.Persistent(List.of(), null),
        StateCodec.readPersistent(USER, json("{'schema':1,'user':'alice','x':1,'lock':null}")));
  }

  @Test
  void missingListsAreEmpty() throws Exception {
    byte[] bare = json("{'schema':1,'user':'alice'}");

    assertEquals(List.of(), StateCodec.readSessions(USER, bare));
    assertEquals(new StateCodec.Persistent(List.of(), null),
        StateCodec.readPersistent(USER, bare));
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {
      "",
      "   ",
      "null",
      "[]",
      "42",
      "'schema'",
      "{",
      "{'schema':1,'user':'alice','sessions':[}",
      "{'user':'alice','sessions':[]}",
      "{'schema':'1','user':'alice'}",
      "{'schema':0,'user':'alice'}",
      "{'schema':-1,'user':'alice'}",
      "{'schema':1.5,'user':'alice'}",
      "{'schema':1}",
      "{'schema':1,'user':'bob'}",
      "{'schema':1,'user':'ALICE'}",
      "{'schema':1,'user':null}",
      "{'schema':1,'user':['alice']}",
      "{'schema':1,'user':'alice','sessions':{}}",
      "{'schema':1,'user':'alice','sessions':'none'}",
      "{'schema':1,'user':'alice','sessions':[1]}",
      "{'schema':1,'user':'alice','sessions':[null]}",
      "{'schema':1,'user':'alice','sessions':[]}{'schema':1,'user':'alice','sessions':[]}",
      "{'schema':1,'user':'alice','sessions':[]}]",
      "{'schema':1,'user':'alice','sessions':[{'pid':99999999999999999999999,'start':1}]}",
      "{'schema':4294967297,'user':'alice'}",
  })
  void corruptSessionFiles(String text) {
    assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readSessions(USER, json(text)));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "drop pid         | 'pid':1,       | ''",
      "pid as string    | 'pid':1,       | 'pid':'1',",
      "pid fraction     | 'pid':1,       | 'pid':1.5,",
      "pid too big      | 'pid':1,       | 'pid':99999999999999999999,",
      "pid bool         | 'pid':1,       | 'pid':true,",
      "drop start       | 'start':2,     | ''",
      "drop audit id    | 'auditSession':3, | ''",
      "drop service     | 'service':'sshd', | ''",
      "null service     | 'service':'sshd', | 'service':null,",
      "service number   | 'service':'sshd', | 'service':5,",
      "drop rport       | 'rport':0,     | ''",
      "rport string     | 'rport':0,     | 'rport':'22',",
      "rport too big    | 'rport':0,     | 'rport':4294967318,",
      "drop opened      | ,'opened':'2026-03-01T12:00:00Z' | ''",
      "opened bad       | '2026-03-01T12:00:00Z' | 'yesterday'",
      "opened number    | '2026-03-01T12:00:00Z' | 1772366400",
  })
  void wrongTypesAndMissingFieldsAreCorrupt(String what, String from, String to) {
    String fields = GOOD_SESSION.replace(from, to);
    assertFalse(fields.equals(GOOD_SESSION), what);

    assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readSessions(USER, sessionsWith(fields)));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "'rhost':5",
      "'tty':[]",
      "'authMethod':{}",
      "'authKey':true",
      "'ending':'soon'",
      "'ending':5",
  })
  void wrongTypesOfOptionalFieldsAreCorrupt(String field) {
    assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readSessions(USER, sessionsWith(GOOD_SESSION + "," + field)));
  }

  @Test
  void theUserMustBeAString() throws Exception {
    assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readSessions("5", json("{'schema':1,'user':5}")));
    assertEquals(List.of(), StateCodec.readSessions("5", json("{'schema':1,'user':'5'}")));
  }

  @Test
  void optionalFieldsMayBeNull() throws Exception {
    List<Session> read = StateCodec.readSessions(USER, sessionsWith(GOOD_SESSION
        + ",'rhost':null,'tty':null,'authMethod':null,'authKey':null,'ending':null"));

    assertEquals(1, read.size());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "'violations':{}",
      "'violations':[5]",
      "'violations':['never']",
      "'violations':[null]",
      "'authFailures':{}",
      "'authFailures':'2026-03-01T12:00:00Z'",
      "'authFailures':[1]",
      "'authFailures':['yesterday']",
      "'lock':5",
      "'lock':[]",
      "'lock':{}",
      "'lock':{'since':'2026-03-01T12:00:00Z','reason':'admin'}",
      "'lock':{'since':'2026-03-01T12:00:00Z','by':'bob'}",
      "'lock':{'reason':'admin','by':'bob'}",
      "'lock':{'since':'x','reason':'admin','by':'bob'}",
      "'lock':{'since':'2026-03-01T12:00:00Z','until':7,'reason':'admin','by':'bob'}",
      "'lock':{'since':'2026-03-01T12:00:00Z','reason':'admin','by':'bob','saved':1}",
      "'lock':{'since':'2026-03-01T12:00:00Z','reason':'admin','by':'bob','saved':{}}",
      "'lock':{'since':'2026-03-01T12:00:00Z','reason':'admin','by':'bob',"
          + "'saved':{'passwordWasLocked':'no','expire':''}}",
      "'lock':{'since':'2026-03-01T12:00:00Z','reason':'admin','by':'bob',"
          + "'saved':{'passwordWasLocked':false}}",
  })
  void corruptPersistentFiles(String field) {
    assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readPersistent(USER, json("{'schema':1,'user':'alice'," + field + "}")));
  }

  @Test
  void failedLoginsRoundTripWithAFailureLock() throws Exception {
    List<Instant> failed = List.of(T.minusSeconds(2), T.minusSeconds(1), T);
    Lock lock = new Lock(T, T.plusSeconds(10), "auth_failures", "loginwarden", null);

    byte[] bytes = StateCodec.writePersistent(USER, List.of(), lock, failed);

    assertEquals(new StateCodec.Persistent(List.of(), lock, failed),
        StateCodec.readPersistent(USER, bytes));
  }

  @Test
  void noFailedLoginsNoFieldSoOlderFilesStayByteForByte() throws Exception {
    List<Instant> violations = List.of(T);

    byte[] without = StateCodec.writePersistent(USER, violations, null, List.of());

    assertArrayEquals(StateCodec.writePersistent(USER, violations, null), without);
    assertFalse(new String(without, StandardCharsets.UTF_8).contains("authFailures"));
    assertEquals(List.of(), StateCodec.readPersistent(USER, without).authFailures(),
        "a file without the field, as every older one, has no failed logins");
  }

  @Test
  void atMost1024Sessions() throws Exception {
    List<Session> many = new ArrayList<>();
    for (int i = 0; i < StateCodec.MAX_SESSIONS; i++) {
      many.add(new Session(i + 2, i, 3, "sshd", null, 0, null, null, null, T, null));
    }
    assertEquals(many, StateCodec.readSessions(USER, StateCodec.writeSessions(USER, many)));

    many.add(SPARSE);
    byte[] tooMany = StateCodec.writeSessions(USER, many);
    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readSessions(USER, tooMany));
  }

  @Test
  void atMost1024Violations() {
    List<Instant> many = new ArrayList<>();
    for (int i = 0; i <= StateCodec.MAX_SESSIONS; i++) {
      many.add(T.plusSeconds(i));
    }
    byte[] bytes = StateCodec.writePersistent(USER, many, null);

    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readPersistent(USER, bytes));
  }

  @Test
  void deepNestingIsCorrupt() {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    byte[] bytes = json("{'schema':1,'user':'alice','x':" + deep + "}");

    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readSessions(USER, bytes));
    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readPersistent(USER, bytes));
    assertEquals(0, StateCodec.schemaOf(bytes));
  }

  @Test
  void hugeStringsAreCorrupt() {
    byte[] bytes = json("{'schema':1,'user':'alice','x':'" + "a".repeat(100_000) + "'}");

    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readSessions(USER, bytes));
  }

  @Test
  void corruptMessagesAreOneLine() {
    StateCodec.CorruptException e = assertThrows(StateCodec.CorruptException.class,
        () -> StateCodec.readSessions(USER, json("{'schema':1,\n'user':'alice',\n'sessions':[")));

    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} has schema {1}")
  @CsvSource(delimiter = '|', value = {
      "{'schema':1,'user':'alice'}  | 1",
      "{'schema':7}                 | 7",
      "{'user':'alice'}             | 0",
      "[1,2]                        | 0",
      "not json                     | 0",
      "''                           | 0",
  })
  void schemaOf(String text, int schema) {
    assertEquals(schema, StateCodec.schemaOf(json(text)));
  }

  @Test
  void aNewerSchemaIsStillReadable() throws Exception {
    // The store refuses to overwrite it (schemaOf); reading it is allowed.
    byte[] bytes = json("{'schema':2,'user':'alice','sessions':[]}");

    assertEquals(2, StateCodec.schemaOf(bytes));
    assertTrue(StateCodec.readSessions(USER, bytes).isEmpty());
  }

  // What the sweep records of a session's use (issue 3).

  private static final String GOOD_ACTIVITY =
      "'lastActive':'2026-03-01T12:05:00Z','ioBytes':4096,'pty':'/dev/pts/3','warned':null";

  @Test
  void activityRoundTrips() throws Exception {
    List<Session> sessions = List.of(
        FULL.withActivity(new Activity(T.plusSeconds(60), 123456789012L, "/dev/pts/3",
            T.plusSeconds(90))),
        SPARSE.withActivity(new Activity(T, 0, null, null)),
        FULL.withActivity(null));

    byte[] bytes = StateCodec.writeSessions(USER, sessions);

    assertEquals(sessions, StateCodec.readSessions(USER, bytes));
  }

  @Test
  void activityIsWrittenAsOneObjectAndOnlyWhenKnown() {
    String written = new String(StateCodec.writeSessions(USER, List.of(
        SPARSE.withActivity(new Activity(T, 42, "/dev/pts/7", null)), SPARSE)),
        StandardCharsets.UTF_8);

    assertTrue(written.contains("\"activity\":{\"lastActive\":\"" + T + "\",\"ioBytes\":42,"
        + "\"pty\":\"/dev/pts/7\",\"warned\":null}"), written);
    assertEquals(1, written.split("\"activity\"", -1).length - 1, written);
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {"", ",'activity':null"})
  void aSessionWithoutActivityIsReadAsNeverSwept(String field) throws Exception {
    List<Session> read = StateCodec.readSessions(USER, sessionsWith(GOOD_SESSION + field));

    assertEquals(1, read.size());
    assertNull(read.get(0).activity());
  }

  @Test
  void activityMayOmitItsOptionalFieldsAndCarryUnknownOnes() throws Exception {
    List<Session> read = StateCodec.readSessions(USER, sessionsWith(GOOD_SESSION
        + ",'activity':{'lastActive':'2026-03-01T12:05:00Z','ioBytes':0,'later':[1]}"));

    assertEquals(new Activity(Instant.parse("2026-03-01T12:05:00Z"), 0, null, null),
        read.get(0).activity());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "activity number       | {GOOD}                                  | 5",
      "activity string       | {GOOD}                                  | 'idle'",
      "activity array        | {GOOD}                                  | []",
      "activity empty        | {GOOD}                                  | {}",
      "no lastActive         | 'lastActive':'2026-03-01T12:05:00Z',    | \"\"",
      "lastActive null       | '2026-03-01T12:05:00Z'                  | null",
      "lastActive not a time | '2026-03-01T12:05:00Z'                  | 'recently'",
      "lastActive number     | '2026-03-01T12:05:00Z'                  | 1772366700",
      "no ioBytes            | 'ioBytes':4096,                         | \"\"",
      "ioBytes null          | 4096                                    | null",
      "ioBytes string        | 4096                                    | '4096'",
      "ioBytes fraction      | 4096                                    | 4096.5",
      "ioBytes negative      | 4096                                    | -1",
      "ioBytes too big       | 4096                                    | 99999999999999999999",
      "pty number            | '/dev/pts/3'                            | 3",
      "pty object            | '/dev/pts/3'                            | {}",
      "warned not a time     | 'warned':null                           | 'warned':'soon'",
      "warned number         | 'warned':null                           | 'warned':5",
      "warned bool           | 'warned':null                           | 'warned':true",
  })
  void wrongActivityIsCorrupt(String what, String from, String to) {
    String activity = from.equals("{GOOD}") ? to
        : "{" + GOOD_ACTIVITY.replace(from, to) + "}";
    assertFalse(activity.equals("{" + GOOD_ACTIVITY + "}"), what);

    assertThrows(StateCodec.CorruptException.class, () -> StateCodec.readSessions(USER,
        sessionsWith(GOOD_SESSION + ",'activity':" + activity)));
  }

  @Test
  void theGoodActivityOfThoseCasesIsRead() throws Exception {
    List<Session> read = StateCodec.readSessions(USER,
        sessionsWith(GOOD_SESSION + ",'activity':{" + GOOD_ACTIVITY + "}"));

    assertEquals(new Activity(Instant.parse("2026-03-01T12:05:00Z"), 4096, "/dev/pts/3", null),
        read.get(0).activity());
  }
}
