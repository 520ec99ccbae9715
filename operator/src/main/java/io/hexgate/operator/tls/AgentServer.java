package io.hexgate.operator.tls;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Server;
import io.hexgate.operator.node.NodeAgentService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent port: the CA from its Secret (created on first start), a server certificate for the
 * given DNS names renewed before it expires, the Secret's deny list watched (a newly revoked certificate's
 * open stream is ended), agents' renewal requests signed, first certificates issued for agent pods' bound
 * tokens ({@link TokenBootstrap}), and {@link AgentTls#server} around the service.
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentServer.class);

  private final Server server;
  private final RenewingCertificate serving;
  private final AutoCloseable revocationWatch;
  private final CertificateAuthority ca;

  private AgentServer(Server server, RenewingCertificate serving, AutoCloseable revocationWatch, CertificateAuthority ca) {
    this.server = server;
    this.serving = serving;
    this.revocationWatch = revocationWatch;
    this.ca = ca;
  }

  public static AgentServer start(
      KubernetesClient client,
      String namespace,
      String caSecret,
      int port,
      List<String> dnsNames,
      NodeAgentService service,
      Clock clock) {
    return start(client, namespace, caSecret, port, dnsNames, service, clock, CertificateAuthority.LEAF_VALIDITY, null);
  }

  /**
   * @param certificateLifetime of the certificates issued: the serving one and agents' renewals
   * @param caOwner of the CA Secret when this creates it (null: none)
   */
  public static AgentServer start(
      KubernetesClient client,
      String namespace,
      String caSecret,
      int port,
      List<String> dnsNames,
      NodeAgentService service,
      Clock clock,
      Duration certificateLifetime,
      OwnerReference caOwner) {
    CaSecretStore store = new CaSecretStore(client, namespace, caSecret, clock, caOwner);
    CertificateAuthority ca = store.loadOrCreate().withLeafValidity(certificateLifetime);
    RevokedCertificates revoked = new RevokedCertificates();
    revoked.onChange(
        list -> {
          int ended = service.endRevokedSessions();
          if (ended > 0) {
            log.info("ended {} agent stream(s) whose certificate was revoked", ended);
          }
        });
    service.useCertificates(new NodeCertificates(ca, revoked));
    service.useBootstrap(new TokenBootstrap(new PodTokens(client, namespace), ca, revoked, clock));
    AutoCloseable watch = store.watchRevocations(revoked);
    String cn = dnsNames.isEmpty() ? "hexgate-operator" : dnsNames.get(0);
    RenewingCertificate serving = new RenewingCertificate(() -> ca.issueServer(cn, dnsNames, List.of()), clock);
    try {
      Server server = AgentTls.server(port, serving.keyManager(), ca.certificate(), service, revoked::revoked).start();
      log.info("agent port {} up (mTLS, CA in Secret({}/{}), names {}, {} revoked certificate(s))",
          server.getPort(), namespace, caSecret, dnsNames, revoked.current().entries().size());
      return new AgentServer(server, serving, watch, ca);
    } catch (IOException e) {
      serving.close();
      closeQuietly(watch);
      throw new UncheckedIOException("cannot listen for agents on port " + port, e);
    }
  }

  /** The CA agents' certificates chain to, and the operator's: its public part is what agents trust. */
  public X509Certificate caCertificate() {
    return ca.certificate();
  }

  /** A client certificate from the CA for one of the operator's own clients (the Hubble relay). */
  public IssuedCertificate issueClient(String commonName) {
    return ca.issueClient(commonName, List.of());
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    closeQuietly(revocationWatch);
    serving.close();
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

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("closing the deny list's watch failed", e);
    }
  }
}
