package io.hexgate.datapath.observe;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Lets only the relay read this node's flows. Every node's certificate chains to the same CA, so a
 * chain check alone would let one node read all the others' flows: the client must also be named
 * {@code CN=hubble-relay}, the certificate the operator issues to its relay.
 */
final class RelayOnly implements ServerInterceptor {
  static final String RELAY_COMMON_NAME = "hubble-relay";

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String why = refusal(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (why != null) {
      call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  private static String refusal(SSLSession session) {
    if (session == null) {
      return "this node's flows are served over TLS only";
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate cert
          && ("CN=" + RELAY_COMMON_NAME).equals(cert.getSubjectX500Principal().getName(X500Principal.RFC2253))) {
        return null;
      }
      return "only the relay (CN=" + RELAY_COMMON_NAME + ") may read this node's flows";
    } catch (SSLPeerUnverifiedException e) {
      return "a client certificate is required";
    }
  }
}
