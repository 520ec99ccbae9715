package io.hexgate.operator.node;

import io.grpc.Context;
import java.security.cert.X509Certificate;

/**
 * The node an agent's client certificate names, put into the call's context by the TLS layer (see
 * {@code io.hexgate.operator.tls.AgentCertificateInterceptor}); an agent may only claim that node.
 */
public final class VerifiedNode {
  public static final Context.Key<String> KEY = Context.key("hexgate-verified-node");
  /** The client certificate itself: its serial is what a revocation names. */
  public static final Context.Key<X509Certificate> CERTIFICATE = Context.key("hexgate-verified-certificate");

  private VerifiedNode() {}
}
