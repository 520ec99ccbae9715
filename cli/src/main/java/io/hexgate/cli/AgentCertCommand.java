package io.hexgate.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issues a node agent's client certificate from the CA the operator keeps in its Secret. Run it with an
 * administrator's kubeconfig; the agent itself then needs only the three files, no Kubernetes access.
 */
@Command(
    name = "agent-cert",
    mixinStandardHelpOptions = true,
    description = {
      "Issue a node agent's client certificate from the operator's CA Secret.",
      "Writes tls.crt, tls.key and ca.crt to --out, where the node agent reads them."
    })
public final class AgentCertCommand implements Callable<Integer> {
  @Option(names = "--node", required = true, description = "Kubernetes node the agent runs on (its certificate names it).")
  String node;

  @Option(names = "--out", required = true, description = "Directory to write tls.crt, tls.key and ca.crt to.")
  Path out;

  @Option(names = "--namespace", defaultValue = "hexgate", description = "Namespace of the operator's CA Secret (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--secret", defaultValue = CaSecretStore.DEFAULT_NAME, description = "Name of the CA Secret (default: ${DEFAULT-VALUE}).")
  String secret;

  @Override
  public Integer call() {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      Optional<CertificateAuthority> ca = new CaSecretStore(client, namespace, secret, Clock.systemUTC()).load();
      if (ca.isEmpty()) {
        System.err.println("no Secret " + namespace + "/" + secret + ": start the operator first, it creates the CA");
        return 1;
      }
      ca.get().issueAgent(node).writeTo(out);
      System.out.println("wrote the certificate of node " + node + " to " + out.toAbsolutePath());
      return 0;
    }
  }
}
