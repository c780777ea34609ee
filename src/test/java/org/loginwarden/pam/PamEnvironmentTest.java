package org.loginwarden.pam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PamEnvironmentTest {

  private static final String KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

  /** The variables pam_exec sets for an sshd open_session, as strings. */
  private static Map<String, String> minimal() {
    Map<String, String> vars = new HashMap<>();
    vars.put("PAM_TYPE", "open_session");
    vars.put("PAM_USER", "alice");
    vars.put("PAM_SERVICE", "sshd");
    return vars;
  }

  private static Map<String, byte[]> bytes(Map<String, String> vars) {
    Map<String, byte[]> out = new HashMap<>();
    vars.forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  private static PamEnvironment env(Map<String, String> vars) throws PamInputException {
    return PamEnvironment.fromVariables(bytes(vars));
  }

  private static PamEnvironment with(String key, String value) throws PamInputException {
    Map<String, String> vars = minimal();
    vars.put(key, value);
    return env(vars);
  }

  private static byte[] environ(String... entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String e : entries) {
      out.writeBytes(e.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    return out.toByteArray();
  }

  @Test
  void aFullSshdOpenSession() throws PamInputException {
    byte[] block = environ("PATH=/usr/bin", "PAM_TYPE=open_session", "PAM_USER=alice",
        "PAM_SERVICE=sshd", "PAM_RHOST=192.0.2.7", "PAM_TTY=ssh",
        "SSH_CONNECTION=192.0.2.7 50022 192.0.2.1 22",
        "SSH_AUTH_INFO_0=publickey " + KEY + "\n", "HOME=/root");

    PamEnvironment env = PamEnvironment.parse(block);

    assertEquals(new PamEnvironment("open_session", "alice", "sshd", "192.0.2.7", 50022, "ssh",
        "publickey", KEY), env);
  }

  @Test
  void onlyTheRequiredVariables() throws PamInputException {
    assertEquals(new PamEnvironment("open_session", "alice", "sshd", null, 0, null, null, null),
        env(minimal()));
  }

  @ParameterizedTest(name = "without {0}")
  @ValueSource(strings = {"PAM_TYPE", "PAM_USER", "PAM_SERVICE"})
  void requiredVariablesMustBeThere(String missing) {
    Map<String, String> vars = minimal();
    vars.remove(missing);

    PamInputException e = assertThrows(PamInputException.class, () -> env(vars));
    assertTrue(e.getMessage().contains(missing), e.getMessage());
  }

  @ParameterizedTest(name = "[{index}] PAM_TYPE ''{0}''")
  @ValueSource(strings = {"", "OPEN_SESSION", "open session", "open-session", "open_session\n",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
  void aBadTypeIsAnError(String type) {
    assertThrows(PamInputException.class, () -> with("PAM_TYPE", type));
  }

  @ParameterizedTest(name = "[{index}] PAM_TYPE {0}")
  @ValueSource(strings = {"open_session", "close_session", "account", "auth", "password"})
  void anyEventNameIsAType(String type) throws PamInputException {
    assertEquals(type, with("PAM_TYPE", type).type());
  }

  @ParameterizedTest(name = "[{index}] PAM_SERVICE ''{0}''")
  @ValueSource(strings = {"", "ss hd", "sshd\n", "../sshd"})
  void aBadServiceIsAnError(String service) {
    assertThrows(PamInputException.class, () -> with("PAM_SERVICE", service));
  }

  @ParameterizedTest(name = "[{index}] PAM_USER ''{0}''")
  @ValueSource(strings = {"", ".", "..", "../x", "../../etc/passwd", "a/b", "alice\n",
      "alice\nroot", "-alice", " alice", "alice\u0000", "a:b", "\u00a0alice"})
  void aHostileUserIsAnError(String user) {
    PamInputException e = assertThrows(PamInputException.class, () -> with("PAM_USER", user));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void aHugeUserIsAnError() {
    assertThrows(PamInputException.class, () -> with("PAM_USER", "a".repeat(10 * 1024)));
    assertThrows(PamInputException.class, () -> with("PAM_USER", "a".repeat(100 * 1024)));
  }

  @ParameterizedTest(name = "[{index}] PAM_USER bytes {0}")
  @ValueSource(strings = {"61ff62", "c3", "c328", "eda080", "f8888080", "c0af", "efbfbd"})
  void aUserThatIsNotUtf8IsAnError(String hex) {
    Map<String, byte[]> vars = bytes(minimal());
    vars.put("PAM_USER", java.util.HexFormat.of().parseHex(hex));

    assertThrows(PamInputException.class, () -> PamEnvironment.fromVariables(vars));
  }

  @Test
  void realWorldUsersAreFine() throws PamInputException {
    assertEquals("alice@corp.example", with("PAM_USER", "alice@corp.example").user());
    assertEquals("CORP\\alice", with("PAM_USER", "CORP\\alice").user());
    assertEquals("j\u00fcrgen", with("PAM_USER", "j\u00fcrgen").user());
  }

  @ParameterizedTest(name = "[{index}] {0}=''{1}'' is dropped")
  @CsvSource(delimiter = '|', value = {
      "PAM_RHOST       | ''",
      "PAM_RHOST       | host name",
      "PAM_RHOST       | evil\\nhost",
      "PAM_RHOST       | <script>",
      "PAM_RHOST       | host;rm",
      "PAM_TTY         | ''",
      "PAM_TTY         | pts 0",
      "PAM_TTY         | \\u001b[31m",
      "SSH_AUTH_INFO_0 | ''",
      "SSH_AUTH_INFO_0 | Publickey x",
      "SSH_AUTH_INFO_0 | \\u001b[2J",
      "SSH_AUTH_INFO_0 | 1password",
  })
  void badDescriptiveValuesAreDropped(String key, String value) throws PamInputException {
    PamEnvironment env = with(key, unescape(value));

    assertEquals("alice", env.user());
    assertNull(env.remoteHost());
    assertNull(env.tty());
    assertNull(env.authMethod());
    assertNull(env.authKey());
  }

  @Test
  void overlongDescriptiveValuesAreDropped() throws PamInputException {
    PamEnvironment env = with("PAM_RHOST", "a".repeat(256));
    assertNull(env.remoteHost());
    assertNull(with("PAM_TTY", "t".repeat(65)).tty());
    assertNull(with("SSH_AUTH_INFO_0", "publickey ssh-ed25519 " + "A".repeat(20_000))
        .authMethod());
  }

  @Test
  void descriptiveValuesThatAreNotUtf8AreDropped() throws PamInputException {
    Map<String, byte[]> vars = bytes(minimal());
    vars.put("PAM_RHOST", new byte[] {'h', (byte) 0xff});
    vars.put("PAM_TTY", new byte[] {(byte) 0xc3});

    PamEnvironment env = PamEnvironment.fromVariables(vars);

    assertNull(env.remoteHost());
    assertNull(env.tty());
  }

  @ParameterizedTest(name = "[{index}] SSH_CONNECTION ''{0}''")
  @CsvSource(delimiter = '|', value = {
      "192.0.2.7 50022 192.0.2.1 22       | 192.0.2.7 | 50022",
      "2001:db8::7 1 2001:db8::1 22       | 2001:db8::7 | 1",
      "192.0.2.7 65535 192.0.2.1 22       | 192.0.2.7 | 65535",
      "192.0.2.7 65536 192.0.2.1 22       | 192.0.2.7 | 0",
      "192.0.2.7 99999 192.0.2.1 22       | 192.0.2.7 | 0",
      "192.0.2.7 -1 192.0.2.1 22          | ''        | 0",
      "192.0.2.7 port 192.0.2.1 22        | ''        | 0",
      "192.0.2.7 123456 192.0.2.1 22      | ''        | 0",
      "192.0.2.7 50022                    | ''        | 0",
      "'192.0.2.7  50022 192.0.2.1 22'    | ''        | 0",
      "a;b 50022 192.0.2.1 22             | ''        | 0",
  })
  void sshConnectionGivesThePort(String connection, String host, int port)
      throws PamInputException {
    PamEnvironment env = with("SSH_CONNECTION", connection);

    assertEquals(host.isEmpty() ? null : host, env.remoteHost());
    assertEquals(port, env.remotePort());
  }

  @Test
  void pamRhostWinsOverSshConnection() throws PamInputException {
    Map<String, String> vars = minimal();
    vars.put("PAM_RHOST", "client.example");
    vars.put("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.1 22");

    PamEnvironment env = env(vars);

    assertEquals("client.example", env.remoteHost());
    assertEquals(50022, env.remotePort());
  }

  @ParameterizedTest(name = "[{index}] SSH_AUTH_INFO_0 ''{0}''")
  @CsvSource(delimiter = '|', value = {
      "publickey KEY\\n                        | publickey | KEY",
      "publickey KEY                           | publickey | KEY",
      "publickey KEY\\npassword\\n             | publickey | KEY",
      "password\\n                             | password  | ''",
      "keyboard-interactive/pam\\n             | keyboard-interactive/pam | ''",
      "gssapi-with-mic\\n                      | gssapi-with-mic | ''",
      "publickey ssh-ed25519-cert-v01@openssh.com AAAAB3Nz== | publickey "
          + "| ssh-ed25519-cert-v01@openssh.com AAAAB3Nz==",
      "publickey not a key\\n                  | publickey | ''",
      "publickey ssh-ed25519 AAA$\\n           | publickey | ''",
      "publickey ssh-ed25519\\n                | publickey | ''",
  })
  void sshAuthInfoGivesTheMethodAndKey(String info, String method, String key)
      throws PamInputException {
    PamEnvironment env = with("SSH_AUTH_INFO_0", unescape(info).replace("KEY", KEY));

    assertEquals(method, env.authMethod());
    assertEquals(key.isEmpty() ? null : key.replace("KEY", KEY), env.authKey());
  }

  @Test
  void variablesOutsideTheAllowlistAreIgnored() throws PamInputException {
    byte[] block = environ("PAM_TYPE=account", "PAM_USER=alice", "PAM_SERVICE=sshd",
        "LD_PRELOAD=/tmp/evil.so", "PAM_AUTHTOK=secret", "pam_user=root", "PAM_USER_X=bob",
        "SSH_AUTH_INFO_1=password", "=nokey", "NOEQUALS", "");

    PamEnvironment env = PamEnvironment.parse(block);

    assertEquals(new PamEnvironment("account", "alice", "sshd", null, 0, null, null, null),
        env);
    assertFalse(PamEnvironment.ALLOWED.contains("PAM_AUTHTOK"));
  }

  @Test
  void theLastOfARepeatedVariableWins() throws PamInputException {
    // pam_exec appends its PAM_* items after the PAM environment list, which pam_env may have
    // filled from the user's own files: the last value is pam_exec's.
    byte[] block = environ("PAM_USER=root", "PAM_TYPE=account", "PAM_USER=alice",
        "PAM_SERVICE=sshd");

    assertEquals("alice", PamEnvironment.parse(block).user());
  }

  @Test
  void parseSplitsOnNulAndTheFirstEquals() throws PamInputException {
    byte[] block = environ("PAM_TYPE=account", "PAM_USER=alice", "PAM_SERVICE=sshd",
        "PAM_TTY=a=b");

    assertNull(PamEnvironment.parse(block).tty(), "'a=b' is not a tty name");
    byte[] noTrailingNul = "PAM_TYPE=account\0PAM_USER=bob\0PAM_SERVICE=sshd"
        .getBytes(StandardCharsets.US_ASCII);
    assertEquals("bob", PamEnvironment.parse(noTrailingNul).user());
    assertThrows(PamInputException.class, () -> PamEnvironment.parse(new byte[0]));
  }

  private static String unescape(String s) {
    return s.replace("\\n", "\n").replace("\\u001b", "\u001b");
  }
}
