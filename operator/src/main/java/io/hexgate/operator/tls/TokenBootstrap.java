package io.hexgate.operator.tls;

import io.grpc.Status;
import io.grpc.StatusException;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;
import io.hexgate.operator.node.AgentBootstrap;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent's first certificate, for its pod's bound ServiceAccount token ({@link PodTokens}) and a
 * certificate request for {@code CN=node:<node>} signed by the agent's new key. A pod gets another
 * certificate (after a restart of its container, whose certificate directory is gone) unless the one it
 * was given before is revoked: a revoked node's agent pod must be deleted to bootstrap again. Requests
 * are limited to {@value #PER_SECOND} a second (each costs a TokenReview); refusals are logged with why.
 */
public final class TokenBootstrap implements AgentBootstrap {
  static final int PER_SECOND = 20;
  private static final Logger log = LoggerFactory.getLogger(TokenBootstrap.class);

  private final PodTokens tokens;
  private final CertificateAuthority ca;
  private final RevokedCertificates revoked;
  private final Clock clock;
  private final Map<String, BigInteger> issuedToPod = new ConcurrentHashMap<>();
  private Instant window = Instant.EPOCH; // guarded by this
  private int inWindow; // guarded by this

  public TokenBootstrap(PodTokens tokens, CertificateAuthority ca, RevokedCertificates revoked, Clock clock) {
    this.tokens = tokens;
    this.ca = ca;
    this.revoked = revoked;
    this.clock = clock;
  }

  @Override
  public BootstrapResponse bootstrap(BootstrapRequest request) throws StatusException {
    String node = request.getNode();
    try {
      admit();
      if (node.isBlank()) {
        throw Status.INVALID_ARGUMENT.withDescription("no node named").asException();
      }
      PodTokens.AgentPod pod = tokens.verify(request.getToken(), node);
      BigInteger before = issuedToPod.get(pod.uid());
      if (before != null && revoked.revoked(before)) {
        throw Status.PERMISSION_DENIED
            .withDescription("certificate " + RevocationList.format(before) + " issued to pod " + pod.name()
                + " is revoked: delete the pod to bootstrap node " + node + " again")
            .asException();
      }
      X509Certificate cert;
      try {
        cert = ca.signAgentRequest(pod.node(), request.getCsrPem()); // the verified pod's node, whatever the request names
      } catch (IllegalArgumentException e) {
        throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException();
      }
      issuedToPod.put(pod.uid(), cert.getSerialNumber());
      log.info("bootstrapped node {} for pod {}: certificate {}, valid until {}",
          node, pod.name(), RevocationList.format(cert.getSerialNumber()), cert.getNotAfter().toInstant());
      return BootstrapResponse.newBuilder()
          .setCertificatePem(Pem.certificate(cert))
          .setCaPem(Pem.certificate(ca.certificate()))
          .build();
    } catch (StatusException e) {
      log.warn("refused to bootstrap node {}: {} {}", node, e.getStatus().getCode(), e.getStatus().getDescription());
      throw e;
    } catch (RuntimeException e) {
      log.warn("could not bootstrap node {}", node, e);
      throw Status.UNAVAILABLE.withDescription("cannot verify the token now: " + e.getMessage()).withCause(e).asException();
    }
  }

  private synchronized void admit() throws StatusException {
    Instant now = clock.instant();
    if (Duration.between(window, now).compareTo(Duration.ofSeconds(1)) >= 0) {
      window = now;
      inWindow = 0;
    }
    if (++inWindow > PER_SECOND) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("too many bootstrap requests; retry in a second").asException();
    }
  }
}
