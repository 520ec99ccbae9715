package io.hexgate.operator.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.hexgate.operator.node.VerifiedNode;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the node named by the peer's verified client certificate into the call's {@link VerifiedNode}
 * context; refuses calls without one. The TLS layer has already checked the chain against the CA.
 */
public final class AgentCertificateInterceptor implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    String node = null;
    if (session != null) {
      try {
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof X509Certificate) {
          node = CertificateAuthority.nodeOf((X509Certificate) chain[0]);
        }
      } catch (SSLPeerUnverifiedException e) {
        node = null;
      }
    }
    if (node == null) {
      call.close(Status.UNAUTHENTICATED.withDescription("no agent client certificate"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(VerifiedNode.KEY, node), call, headers, next);
  }
}
