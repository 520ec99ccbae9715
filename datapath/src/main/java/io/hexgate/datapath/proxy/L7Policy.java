package io.hexgate.datapath.proxy;

import java.net.InetSocketAddress;
import java.util.Optional;

/** What the proxy enforces on a redirected connection, asked again for every request. */
@FunctionalInterface
public interface L7Policy {
  /**
   * @param direction whose policy redirected the connection: for INGRESS the server is the local endpoint,
   *     for EGRESS the client
   * @return empty when no redirect covers the connection any more (the policy changed under it): every
   *     request is then denied
   */
  Optional<ConnectionPolicy> lookup(ProxyDirection direction, InetSocketAddress client, InetSocketAddress server);
}
