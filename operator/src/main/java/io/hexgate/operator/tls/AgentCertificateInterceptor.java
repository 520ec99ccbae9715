package io.hexgate.operator.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.hexgate.contract.v1.NodeAgentGrpc;
import io.hexgate.operator.node.VerifiedNode;
import java.math.BigInteger;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the node named by the peer's verified client certificate (and the certificate) into the call's
 * {@link VerifiedNode} context; refuses calls without one, except {@code Bootstrap} made without any client
 * certificate (it carries a pod's token instead), and calls whose certificate is revoked. The TLS layer has
 * already checked the chain against the CA.
 */
public final class AgentCertificateInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AgentCertificateInterceptor.class);

  private static final String BOOTSTRAP = NodeAgentGrpc.getBootstrapMethod().getFullMethodName();

  private final Predicate<BigInteger> revoked;

  public AgentCertificateInterceptor() {
    this(serial -> false);
  }

  /** @param revoked whether a certificate serial is on the deny list */
  public AgentCertificateInterceptor(Predicate<BigInteger> revoked) {
    this.revoked = revoked;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    String node = null;
    X509Certificate cert = null;
    if (session != null) {
      try {
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof X509Certificate) {
          cert = (X509Certificate) chain[0];
          node = CertificateAuthority.nodeOf(cert);
        }
      } catch (SSLPeerUnverifiedException e) {
        node = null;
      }
    }
    if (node == null && cert == null && BOOTSTRAP.equals(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers); // the one call that proves who it is by other means
    }
    if (node == null) {
      call.close(Status.UNAUTHENTICATED.withDescription("no agent client certificate"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (revoked.test(cert.getSerialNumber())) {
      String serial = RevocationList.format(cert.getSerialNumber());
      log.warn("refused the agent of node {}: its certificate {} is revoked", node, serial);
      call.close(
          Status.UNAUTHENTICATED.withDescription("certificate " + serial + " of node " + node + " is revoked"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context ctx = Context.current().withValue(VerifiedNode.KEY, node).withValue(VerifiedNode.CERTIFICATE, cert);
    return Contexts.interceptCall(ctx, call, headers, next);
  }
}
