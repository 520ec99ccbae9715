package io.hexgate.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import io.hexgate.operator.tls.Pem;
import io.hexgate.operator.tls.RevocationList;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issues a node agent's client certificate from the CA the operator keeps in its Secret, or revokes one.
 * Run it with an administrator's kubeconfig; the agent itself then needs only the three files, no
 * Kubernetes access (it renews its certificate through the operator).
 */
@Command(
    name = "agent-cert",
    mixinStandardHelpOptions = true,
    description = {
      "Issue a node agent's client certificate from the operator's CA Secret: writes tls.crt, tls.key and",
      "ca.crt to --out, where the node agent reads them (and renews them before they expire).",
      "With --revoke, add a certificate to the deny list in the same Secret (data.revoked): the operator",
      "refuses it from then on and ends the stream it is connected with."
    })
public final class AgentCertCommand implements Callable<Integer> {
  @Option(names = "--node", description = "Kubernetes node the agent runs on (its certificate names it).")
  String node;

  @Option(names = "--out", description = "Directory to write tls.crt, tls.key and ca.crt to.")
  Path out;

  @Option(names = "--lifetime", defaultValue = "8760h", converter = DurationConverter.class, description = "How long the certificate is valid; the agent renews it after two thirds of it (default: ${DEFAULT-VALUE}).")
  Duration lifetime;

  @Option(names = "--revoke", description = "Revoke a certificate instead of issuing one: give --serial and --node, or --cert.")
  boolean revoke;

  @Option(names = "--serial", paramLabel = "HEX", description = "With --revoke: the certificate's serial number in hexadecimal (the agent and the operator log it; `openssl x509 -serial` prints it).")
  String serial;

  @Option(names = "--cert", paramLabel = "FILE", description = "With --revoke: the certificate (PEM) to revoke, e.g. the node's tls.crt.")
  Path cert;

  @Option(names = "--note", description = "With --revoke: why, for the people who read the list.")
  String note;

  @Option(names = "--namespace", defaultValue = "hexgate", description = "Namespace of the operator's CA Secret (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--secret", defaultValue = CaSecretStore.DEFAULT_NAME, description = "Name of the CA Secret (default: ${DEFAULT-VALUE}).")
  String secret;

  @Override
  public Integer call() {
    if (revoke ? (cert == null && (serial == null || node == null)) : (node == null || out == null)) {
      System.err.println(revoke
          ? "hexgate agent-cert --revoke: give --serial HEX and --node NODE, or --cert FILE"
          : "hexgate agent-cert: give --node NODE and --out DIR (or --revoke)");
      return 2;
    }
    if (revoke && cert == null && parseSerial(serial) == null) {
      System.err.println("hexgate agent-cert --revoke: --serial must be hexadecimal, not '" + serial + "'");
      return 2;
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      return revoke ? revoke(client) : issue(client);
    }
  }

  private static BigInteger parseSerial(String text) {
    String hex = text.replace(":", "").replaceFirst("^(0x|0X|serial=)", "");
    return hex.isEmpty() || !hex.matches("[0-9a-fA-F]+") ? null : new BigInteger(hex, 16);
  }

  private int issue(KubernetesClient client) {
    Optional<CertificateAuthority> ca = new CaSecretStore(client, namespace, secret, Clock.systemUTC()).load();
    if (ca.isEmpty()) {
      System.err.println("no Secret " + namespace + "/" + secret + ": start the operator first, it creates the CA");
      return 1;
    }
    IssuedCertificate issued = ca.get().withLeafValidity(lifetime).issueAgent(node);
    issued.writeTo(out);
    System.out.println("wrote the certificate of node " + node + " to " + out.toAbsolutePath() + " (serial "
        + RevocationList.format(issued.certificate().getSerialNumber()) + ", valid until "
        + issued.certificate().getNotAfter().toInstant() + ")");
    return 0;
  }

  private int revoke(KubernetesClient client) {
    BigInteger number;
    String owner = node;
    if (cert != null) {
      X509Certificate c;
      try {
        c = Pem.parseCertificate(Files.readString(cert));
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("hexgate agent-cert --revoke: cannot read a PEM certificate from " + cert + ": " + e.getMessage());
        return 2;
      }
      number = c.getSerialNumber();
      String named = CertificateAuthority.nodeOf(c);
      if (named == null || (node != null && !node.equals(named))) {
        System.err.println("hexgate agent-cert --revoke: " + cert + " is " + (named == null ? "no agent certificate" : "node " + named + "'s, not " + node + "'s"));
        return 2;
      }
      owner = named;
    } else {
      number = parseSerial(serial);
    }
    CaSecretStore store = new CaSecretStore(client, namespace, secret, Clock.systemUTC());
    if (store.load().isEmpty()) {
      System.err.println("no Secret " + namespace + "/" + secret + ": start the operator first, it creates the CA");
      return 1;
    }
    boolean added = store.revoke(number, owner, note);
    System.out.println((added ? "revoked" : "already revoked:") + " certificate " + RevocationList.format(number)
        + " of node " + owner + " (Secret " + namespace + "/" + secret + " data." + RevocationList.KEY + ")");
    return 0;
  }
}
