package org.loginwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.loginwarden.core.Session;

/**
 * The core promise through a real sshd, real clients and real accounts, with the default
 * policy: one session, kick both on a second login, lock on the 3rd violation.
 */
class OneLoginIT extends SshdTestBase {

  @Test
  void singleLoginRunsAndLeavesNoRecord() throws IOException {
    TestUser u = user();
    Exec.Result r = clients.sshPassword(u, "echo hello-$USER");
    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().contains("hello-" + u.name), r.all());
    assertEquals(0, clients.sshKey(u, "true").exit(), "a key login works too");

    // close_session runs after the client has gone: wait for it, bounded.
    Exec.await(BOUND, "the session record to be removed",
        () -> sshd.state(u.name).isEmpty());
    assertFalse(Files.exists(sshd.runDir.resolve("sessions/" + u.name + ".json")));
    String audit = sshd.audit();
    assertTrue(audit.contains("\"event\":\"open\",\"user\":\"" + u.name + "\""), audit);
    assertTrue(audit.contains("\"event\":\"close\",\"user\":\"" + u.name + "\""), audit);
  }

  @Test
  void backToBackLoginsOfABatchJobAreNeverAViolation() throws IOException {
    TestUser u = user();
    Path file = sshd.dir.resolve(u.name + "-batch.txt");
    Files.writeString(file, "x");
    // A script's logins follow each other with no pause: the client exits before sshd has
    // run close_session, so the previous session is often still recorded when the next opens.
    for (int i = 0; i < 4; i++) {
      Exec.Result ssh = clients.sshKey(u, "true");
      assertEquals(0, ssh.exit(), "ssh " + i + ": " + ssh.all());
      Exec.Result scp = clients.scpUpload(u, file, "copy" + i + ".txt");
      assertEquals(0, scp.exit(), "scp " + i + ": " + scp.all());
    }
    assertFalse(sshd.audit().contains("\"event\":\"violation\",\"user\":\"" + u.name),
        sshd.audit());
  }

  @Test
  void secondLoginEndsBothSessionsWholeTreesAndNeverRunsItsCommand() throws IOException {
    TestUser u = user();
    Process first = hold(u);
    Path marker = Path.of("/home", u.name, "second-ran");
    Exec.Result table = sshd.cli("status");
    assertEquals(0, table.exit(), table.all());
    assertTrue(table.out().lines().anyMatch(l -> l.startsWith(u.name + " ") && l.endsWith("live")
        && l.contains("127.0.0.1 port ")), table.out());
    assertTrue(table.out().contains(" listed, "), "a legend line: " + table.out());

    Exec.Result second = clients.sshPassword(u, "touch $HOME/second-ran; echo SECOND-RAN");

    assertNotEquals(0, second.exit());
    assertTrue(second.out().contains("loginwarden: login refused"), "told why: " + second.all());
    assertFalse(second.out().contains("SECOND-RAN"), second.all());
    assertFalse(Files.exists(marker), "the second login's command must never run");
    assertAllEnded(u, first);
    String audit = sshd.audit();
    assertTrue(audit.contains("\"event\":\"violation\",\"user\":\"" + u.name), audit);
    assertTrue(audit.contains("\"event\":\"kick\",\"user\":\"" + u.name), audit);
    Exec.await(BOUND, "no live session recorded", () -> sshd.liveSessions(u.name).isEmpty());
  }

  @Test
  void sftpAtItsPromptCountsAndAnScpLoginIsRefused() throws IOException {
    TestUser u = user();
    Process sftp = clients.sftpAtPrompt(u);
    afterTest(sftp);
    awaitLive(u, 1);

    Path file = sshd.dir.resolve(u.name + "-upload.txt");
    Files.writeString(file, "data");
    Exec.Result scp = clients.scpUpload(u, file, "uploaded.txt");

    assertNotEquals(0, scp.exit(), scp.all());
    assertFalse(Files.exists(Path.of("/home", u.name, "uploaded.txt")));
    // sftp at its prompt notices only on its next command; its ssh transport is the connection.
    Exec.await(BOUND, "sftp's connection to end",
        () -> sftp.descendants().noneMatch(ProcessHandle::isAlive));
    assertAllEnded(u);
  }

  @Test
  void aCommandSessionCountsAndAnSftpLoginIsRefused() throws IOException {
    TestUser u = user();
    Process first = hold(u);
    Path batch = sshd.dir.resolve(u.name + "-batch");
    Files.writeString(batch, "mkdir sftp-ran\n");

    Exec.Result sftp = clients.sftpBatch(u, batch);

    assertNotEquals(0, sftp.exit(), sftp.all());
    assertFalse(Files.exists(Path.of("/home", u.name, "sftp-ran")));
    assertAllEnded(u, first);
  }

  @Test
  void aRefusedConnectionWithoutChannelDoesNotStayUp() throws IOException {
    TestUser u = user();
    Process first = hold(u);

    Process dashN = clients.start(u, List.of("-N"), null);
    afterTest(dashN);

    assertAllEnded(u, first, dashN);
  }

  @Test
  void aFirstSessionWithoutChannelIsEndedToo() throws IOException {
    TestUser u = user();
    Process dashN = clients.start(u, List.of("-N"), null);
    afterTest(dashN);
    awaitLive(u, 1);

    assertNotEquals(0, clients.sshKey(u, "true").exit());

    assertAllEnded(u, dashN);
  }

  @Test
  void aSessionKilledWithoutCloseSessionDoesNotCount() throws IOException {
    TestUser u = user();
    hold(u);
    Session recorded = sshd.state(u.name).sessions().get(0);
    // SIGKILL the session's [priv] sshd (a child of our own sshd): no close_session runs.
    ProcessHandle.of(recorded.pid()).orElseThrow().destroyForcibly();
    Exec.await(BOUND, "the [priv] sshd to die",
        () -> ProcessHandle.of(recorded.pid()).map(h -> !h.isAlive()).orElse(true)
            || Procs.cmdline(recorded.pid()).isEmpty());

    Exec.Result next = clients.sshKey(u, "echo still-welcome");

    assertEquals(0, next.exit(), next.all());
    assertTrue(next.out().contains("still-welcome"));
    assertFalse(sshd.audit().contains("\"event\":\"violation\",\"user\":\"" + u.name));
  }

  @Test
  void theThirdViolationLocksPasswordAndKeyAndUnlockRestoresShadowExactly() throws IOException {
    TestUser u = user();
    byte[] shadowBefore = Files.readAllBytes(Path.of("/etc/shadow"));
    String lineBefore = u.shadowLine();

    for (int violation = 1; violation <= 3; violation++) {
      Process first = hold(u);
      Exec.Result second = clients.sshKey(u, "true");
      assertNotEquals(0, second.exit(), "violation " + violation + ": " + second.all());
      assertAllEnded(u, first);
    }

    assertTrue(sshd.audit().contains("\"event\":\"lock\",\"user\":\"" + u.name), sshd.audit());
    String locked = u.shadowLine();
    assertTrue(locked.startsWith(u.name + ":!"), locked);
    assertEquals("1", locked.split(":", -1)[7], "expired, so keys are refused too: " + locked);
    Exec.Result byPassword = clients.sshPassword(u, "echo in");
    Exec.Result byKey = clients.sshKey(u, "echo in");
    assertNotEquals(0, byPassword.exit(), byPassword.all());
    assertNotEquals(0, byKey.exit(), byKey.all());
    assertFalse(byKey.out().contains("in"), byKey.all());

    Exec.Result status = sshd.cli("status", "--json", u.name);
    assertEquals(0, status.exit(), status.all());
    assertTrue(status.out().contains("\"locked\" : true"), status.out());
    assertTrue(status.out().contains("\"reason\" : \"violations\""), status.out());

    Exec.Result unlock = sshd.cli("unlock", u.name);
    assertEquals(0, unlock.exit(), unlock.all());
    assertEquals(lineBefore, u.shadowLine());
    assertArrayEquals(shadowBefore, Files.readAllBytes(Path.of("/etc/shadow")),
        "/etc/shadow byte for byte");
    assertEquals(0, clients.sshKey(u, "true").exit(), "the key gets in again");
    Exec.Result back = clients.sshPassword(u, "echo back-in");
    assertEquals(0, back.exit(), back.all());
    assertTrue(sshd.state(u.name).violations().isEmpty(), "unlock clears violations");
  }

  @Test
  void adminKickEndsEverySessionAndLockHoldsUntilUnlock() throws IOException {
    TestUser u = user();
    Process first = hold(u);
    String shadowBefore = u.shadowLine();

    Exec.Result kick = sshd.cli("kick", u.name);

    assertEquals(0, kick.exit(), kick.all());
    assertTrue(kick.out().contains("1 session(s) of " + u.name + " ended"), kick.out());
    assertAllEnded(u, first);
    assertTrue(sshd.audit().contains("\"event\":\"kick\",\"user\":\"" + u.name), sshd.audit());

    Exec.Result lock = sshd.cli("lock", u.name);
    assertEquals(0, lock.exit(), lock.all());
    assertNotEquals(0, clients.sshKey(u, "true").exit(), "locked: the key is refused");
    assertTrue(u.shadowLine().startsWith(u.name + ":!"), u.shadowLine());
    assertEquals(0, sshd.cli("unlock", u.name).exit());
    assertEquals(shadowBefore, u.shadowLine());
    assertEquals(0, clients.sshKey(u, "true").exit(), "unlocked: the key gets in");
  }

  @Test
  void anotherUserIsNeverAffected() throws IOException {
    TestUser alice = user();
    TestUser bob = user();
    Process bobs = hold(bob);
    Process alices = hold(alice);

    assertNotEquals(0, clients.sshKey(alice, "true").exit());
    assertAllEnded(alice, alices);

    assertTrue(bobs.isAlive(), "bob's session must survive alice's violation");
    assertEquals(1, sshd.liveSessions(bob.name).size());
    assertFalse(sshd.audit().contains("\"user\":\"" + bob.name + "\",\"service\":\""
        + sshd.service + "\",\"rhost\":\"127.0.0.1\",\"rport\":0"));
    assertFalse(sshd.audit().contains("\"event\":\"kick\",\"user\":\"" + bob.name));
  }

  @Test
  void rootIsNeverKicked() throws IOException {
    List<String> root = new ArrayList<>(List.of("/usr/bin/ssh", "-p", Integer.toString(sshd.port),
        "-i", sshd.rootKey.toString(), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "root@127.0.0.1"));
    List<String> holdRoot = new ArrayList<>(root);
    holdRoot.add("exec cat"); // ends when our client closes its stdin
    Process first = clients.background(holdRoot, java.util.Map.of());
    afterTest(first);
    Exec.await(BOUND, "root's first session to open",
        () -> sshd.audit().contains("\"event\":\"open\",\"user\":\"root\""));

    List<String> again = new ArrayList<>(root);
    again.add("echo root-again");
    Exec.Result second = Exec.run(BOUND, java.util.Map.of(), again);

    assertEquals(0, second.exit(), second.all());
    assertTrue(first.isAlive(), "root's first session must survive");
    assertFalse(sshd.audit().contains("\"user\":\"root\",\"service\":\"" + sshd.service
        + "\",\"rhost\":\"127.0.0.1\",\"rport\":0"));
    assertFalse(sshd.audit().contains("\"event\":\"kick\",\"user\":\"root\""));
    first.getOutputStream().close();
    Exec.await(BOUND, "root's first session to end by itself", () -> !first.isAlive());
  }
}
