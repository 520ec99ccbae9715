package io.hexgate.datapath.agent;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.contract.v1.NodeAgentGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;

/**
 * An agent's first certificate, when its directory has none it can use: a new key, a certificate request
 * and the agent pod's bound ServiceAccount token sent to the operator's {@code Bootstrap} over TLS that
 * verifies the operator against the CA file (no client certificate: the agent has none yet), and the
 * answer written as {@code ca.crt}, {@code tls.key}, {@code tls.crt}. The agent holds no Kubernetes
 * credential: the token's audience is the operator, and its ServiceAccount has no role.
 */
public final class CertificateBootstrap {
  private CertificateBootstrap() {}

  /** Whether {@code dir} holds a key and a certificate for {@code node} from the CA in {@code caFile}, valid now. */
  public static boolean usable(Path dir, String node, Path caFile, Clock clock) {
    try {
      CertificateRotation.recover(dir);
      X509Certificate cert = CertificateRotation.readCertificate(dir.resolve(AgentCredentials.CERT_FILE));
      X509Certificate ca = CertificateRotation.readCertificate(caFile);
      cert.verify(ca.getPublicKey());
      cert.checkValidity(java.util.Date.from(clock.instant()));
      return ("node:" + node).equals(CertificateRotation.commonName(cert))
          && CertificateRotation.pairMatches(dir.resolve(AgentCredentials.CERT_FILE), dir.resolve(AgentCredentials.KEY_FILE))
          && Files.isRegularFile(dir.resolve(AgentCredentials.CA_FILE));
    } catch (RuntimeException | java.security.GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * Asks the operator at {@code target} once and installs the answer in {@code dir}.
   *
   * @param authority the name the operator's certificate must carry (null: the host of {@code target})
   * @throws StatusRuntimeException when the operator refuses (its description says why), is unreachable, or
   *     is not trusted (its certificate does not chain to the CA file, or does not name {@code authority})
   * @throws IllegalArgumentException when its answer is not a certificate this agent can use
   */
  public static X509Certificate run(
      Path dir, String node, String target, String authority, Path caFile, Path tokenFile, Clock clock) {
    X509Certificate ca = CertificateRotation.readCertificate(caFile);
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.US_ASCII).strip(); // the kubelet renews the file
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bootstrap token " + tokenFile, e);
    }
    CertificateRotation.Request request = CertificateRotation.newRequest(node);
    ChannelCredentials credentials;
    try {
      credentials = TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA " + caFile, e);
    }
    var builder = Grpc.newChannelBuilder(target, credentials);
    if (authority != null) {
      builder.overrideAuthority(authority);
    }
    ManagedChannel channel = builder.build();
    try {
      BootstrapResponse response =
          NodeAgentGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .bootstrap(BootstrapRequest.newBuilder().setNode(node).setToken(token).setCsrPem(request.pem()).build());
      X509Certificate cert =
          CertificateRotation.checkIssued(response.getCertificatePem(), response.getCaPem(), request.pair(), ca, node, clock, dir);
      Files.createDirectories(dir);
      CertificateRotation.writeSynced(dir.resolve(AgentCredentials.CA_FILE), response.getCaPem(), false);
      CertificateRotation.write(dir, cert, request.pair().getPrivate());
      return cert;
    } catch (StatusRuntimeException e) {
      throw untrusted(e, target, authority, caFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the certificate to " + dir, e);
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * {@code e}, or when the TLS handshake failed, UNAVAILABLE saying so: gRPC reports a rejected server
   * certificate as a bare "io exception", which would send one looking for a network problem.
   */
  private static StatusRuntimeException untrusted(StatusRuntimeException e, String target, String authority, Path caFile) {
    Throwable handshake = e;
    while (handshake != null && !(handshake instanceof SSLHandshakeException)) {
      handshake = handshake.getCause();
    }
    if (handshake == null) {
      return e;
    }
    Throwable root = handshake;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return Status.UNAVAILABLE
        .withDescription("the operator at " + target + " is not trusted: its certificate does not chain to the CA in "
            + caFile + (authority == null ? "" : " or does not name " + authority) + " (" + root.getMessage() + ")")
        .withCause(e)
        .asRuntimeException();
  }
}
