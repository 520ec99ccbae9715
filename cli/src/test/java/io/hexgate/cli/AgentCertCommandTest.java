package io.hexgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.Pem;
import io.hexgate.operator.tls.RevocationList;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `hexgate agent-cert` against an API server: issuing with a lifetime, revoking into the CA Secret's deny list. */
class AgentCertCommandTest {
  private static final String[] PROPERTIES = {
    "kubernetes.master", "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount", "kubernetes.namespace"
  };

  @TempDir Path dir;
  private final KubernetesMockServer api =
      new KubernetesMockServer(
          new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(), new HashMap<>(),
          new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(), false);
  private final Map<String, String> saved = new HashMap<>();
  private KubernetesClient client;

  @BeforeEach
  void start() {
    api.init();
    client = api.createClient();
    for (String p : PROPERTIES) {
      saved.put(p, System.getProperty(p));
    }
    // the command builds its client from the environment, as with an administrator's kubeconfig
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).loadOrCreate();
  }

  @AfterEach
  void stop() {
    saved.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
    client.close();
    api.destroy();
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true));
    System.setErr(new PrintStream(err, true));
    try {
      return new Run(HexgateCli.commandLine().execute(args), out.toString(), err.toString());
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }

  @Test
  void shouldIssueWithALifetimeAndRevokeByFileOrSerial() throws Exception {
    Path out = dir.resolve("node-a");
    Run issued = run("agent-cert", "--node", "node-a", "--out", out.toString(), "--lifetime", "2h");
    assertThat(issued.exit()).as(issued.err()).isZero();
    X509Certificate cert = Pem.parseCertificate(Files.readString(out.resolve("tls.crt")));
    String serial = RevocationList.format(cert.getSerialNumber());
    assertThat(issued.out()).contains("serial " + serial);
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isBetween(Duration.ofHours(2), Duration.ofHours(2).plusMinutes(6));

    Run revoked = run("agent-cert", "--revoke", "--cert", out.resolve("tls.crt").toString(), "--note", "disk stolen");
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    assertThat(revoked.out()).contains("revoked certificate " + serial + " of node node-a");
    assertThat(denyList()).contains(serial + " node-a disk stolen\n");
    assertThat(RevocationList.parse(denyList()).list().revoked(cert.getSerialNumber())).isTrue();

    assertThat(run("agent-cert", "--revoke", "--cert", out.resolve("tls.crt").toString()).out()).contains("already revoked");
    Run bySerial = run("agent-cert", "--revoke", "--node", "node-b", "--serial", "serial=0A:0B");
    assertThat(bySerial.exit()).as(bySerial.err()).isZero();
    assertThat(RevocationList.parse(denyList()).list().entries()).hasSize(2).containsValue("node-b");
  }

  @Test
  void shouldSayWhatIsMissingOrWrong() throws Exception {
    assertThat(run("agent-cert", "--revoke").err()).contains("give --serial HEX and --node NODE, or --cert FILE");
    Run bad = run("agent-cert", "--revoke", "--node", "n", "--serial", "zz");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--serial must be hexadecimal, not 'zz'");
    assertThat(run("agent-cert", "--node", "n").err()).contains("give --node NODE and --out DIR");
    Path notAgent = dir.resolve("ca.crt");
    Files.writeString(notAgent, Base64Pem.caPem(client));
    Run wrongCert = run("agent-cert", "--revoke", "--cert", notAgent.toString());
    assertThat(wrongCert.exit()).isEqualTo(2);
    assertThat(wrongCert.err()).contains("is no agent certificate");
  }

  private String denyList() {
    Secret s = client.secrets().inNamespace("hexgate").withName("hexgate-ca").get();
    return new String(Base64.getDecoder().decode(s.getData().get(RevocationList.KEY)), StandardCharsets.UTF_8);
  }

  private static final class Base64Pem {
    static String caPem(KubernetesClient client) {
      Secret s = client.secrets().inNamespace("hexgate").withName("hexgate-ca").get();
      return new String(Base64.getDecoder().decode(s.getData().get("tls.crt")), StandardCharsets.US_ASCII);
    }
  }
}
