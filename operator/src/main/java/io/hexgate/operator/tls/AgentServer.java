package io.hexgate.operator.tls;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Server;
import io.hexgate.operator.node.NodeAgentService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent port: the CA from its Secret (created on first start), a fresh server certificate
 * for the given DNS names, and {@link AgentTls#server} around the service.
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);

  private final Server server;

  private AgentServer(Server server) {
    this.server = server;
  }

  public static AgentServer start(
      KubernetesClient client,
      String namespace,
      String caSecret,
      int port,
      List<String> dnsNames,
      NodeAgentService service,
      Clock clock) {
    CertificateAuthority ca = new CaSecretStore(client, namespace, caSecret, clock).loadOrCreate();
    IssuedCertificate cert = ca.issueServer(dnsNames.isEmpty() ? "hexgate-operator" : dnsNames.get(0), dnsNames, List.of());
    try {
      Server server = AgentTls.server(port, cert, service).start();
      log.info("agent port {} up (mTLS, CA in Secret({}/{}), names {})", server.getPort(), namespace, caSecret, dnsNames);
      return new AgentServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for agents on port " + port, e);
    }
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
  }
}
