package io.hexgate.operator.node;

import io.grpc.Context;

/**
 * The node an agent's client certificate names, put into the call's context by the TLS layer (see
 * {@code io.hexgate.operator.tls.AgentCertificateInterceptor}); an agent may only claim that node.
 */
public final class VerifiedNode {
  public static final Context.Key<String> KEY = Context.key("hexgate-verified-node");

  private VerifiedNode() {}
}
