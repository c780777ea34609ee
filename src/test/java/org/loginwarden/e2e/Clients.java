package org.loginwarden.e2e;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Real OpenSSH clients (ssh, sftp, scp, with sshpass for passwords) against a private sshd. */
final class Clients {

  private final PrivateSshd sshd;

  Clients(PrivateSshd sshd) {
    this.sshd = sshd;
  }

  private List<String> common(String program, boolean scpStyle) {
    return new ArrayList<>(List.of(program, scpStyle ? "-P" : "-p", Integer.toString(sshd.port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20", "-o", "ServerAliveInterval=5"));
  }

  /** The command line of {@code program} logging in with the user's key. */
  List<String> withKey(String program, TestUser u, boolean scpStyle) {
    List<String> c = common(program, scpStyle);
    c.addAll(List.of("-i", u.key.toString(), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
        "-o", "PreferredAuthentications=publickey"));
    return c;
  }

  /** The command line of {@code program} logging in with the user's password via sshpass. */
  List<String> withPassword(String program, TestUser u, boolean scpStyle) {
    List<String> c = new ArrayList<>(List.of("/usr/bin/sshpass", "-e"));
    c.addAll(common(program, scpStyle));
    c.addAll(List.of("-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=password,keyboard-interactive"));
    return c;
  }

  Exec.Result sshKey(TestUser u, String command) {
    List<String> c = withKey("/usr/bin/ssh", u, false);
    c.addAll(List.of(u.name + "@127.0.0.1", command));
    return Exec.run(Duration.ofSeconds(60), Map.of(), c);
  }

  Exec.Result sshPassword(TestUser u, String command) {
    List<String> c = withPassword("/usr/bin/ssh", u, false);
    c.addAll(List.of(u.name + "@127.0.0.1", command));
    return Exec.run(Duration.ofSeconds(60), Map.of("SSHPASS", u.password), c);
  }

  /**
   * One password attempt as {@code user} (any name, account or not): password authentication
   * only and one prompt, so that sshd runs PAM's auth stack exactly once.
   */
  Exec.Result sshOnePassword(String user, String password, String command) {
    List<String> c = new ArrayList<>(List.of("/usr/bin/sshpass", "-e"));
    c.addAll(common("/usr/bin/ssh", false));
    c.addAll(List.of("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
        "-o", "NumberOfPasswordPrompts=1", user + "@127.0.0.1", command));
    return Exec.run(Duration.ofSeconds(90), Map.of("SSHPASS", password), c);
  }

  /** Starts a login in the background, its output kept in a file; the caller ends it. */
  Process start(TestUser u, List<String> sshOptions, String command) throws IOException {
    List<String> c = withKey("/usr/bin/ssh", u, false);
    c.addAll(sshOptions);
    c.add(u.name + "@127.0.0.1");
    if (command != null) {
      c.add(command);
    }
    return background(c, Map.of());
  }

  Process background(List<String> command, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(sshd.dir.resolve("client-" + System.nanoTime() + ".out").toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** An interactive sftp session left at its prompt: stdin stays open until destroyed. */
  Process sftpAtPrompt(TestUser u) throws IOException {
    List<String> c = withKey("/usr/bin/sftp", u, true);
    c.add(u.name + "@127.0.0.1");
    ProcessBuilder pb = new ProcessBuilder(c).redirectErrorStream(true)
        .redirectOutput(sshd.dir.resolve("sftp-" + System.nanoTime() + ".out").toFile());
    return pb.start();
  }

  Exec.Result scpUpload(TestUser u, Path local, String remote) {
    List<String> c = withKey("/usr/bin/scp", u, true);
    c.addAll(List.of(local.toString(), u.name + "@127.0.0.1:" + remote));
    return Exec.run(Duration.ofSeconds(60), Map.of(), c);
  }

  Exec.Result sftpBatch(TestUser u, Path batch) {
    List<String> c = withKey("/usr/bin/sftp", u, true);
    c.addAll(List.of("-b", batch.toString(), u.name + "@127.0.0.1"));
    return Exec.run(Duration.ofSeconds(60), Map.of(), c);
  }
}
