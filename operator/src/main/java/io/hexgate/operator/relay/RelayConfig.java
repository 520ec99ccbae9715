package io.hexgate.operator.relay;

import io.hexgate.observer.server.HubbleServices;

/**
 * The operator's Hubble relay.
 *
 * @param port the plaintext gRPC port (0 picks a free one)
 * @param bindAddress the address to listen on; null for every address
 * @param dialer how to reach an agent's Hubble port; null for mutual TLS with the operator's CA when it
 *     serves agents over TLS, plaintext otherwise
 * @param agentTls whether agents serve Hubble over TLS, so that peers are announced with their TLS server
 *     names ({@code <node>.<cluster>.hubble-grpc.cilium.io})
 */
public record RelayConfig(int port, String bindAddress, AgentDialer dialer, boolean agentTls) {
  public RelayConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("relay-port must be between 0 and 65535, got " + port);
    }
  }

  /** Port 4245 on every address, agents over mutual TLS with the operator's CA. */
  public static RelayConfig defaults() {
    return new RelayConfig(HubbleServices.RELAY_PORT, null, null, true);
  }

  public RelayConfig withPort(int p) {
    return new RelayConfig(p, bindAddress, dialer, agentTls);
  }

  /** Agents reached through {@code d}, which serve TLS or not as {@code tls} says. */
  public RelayConfig withDialer(AgentDialer d, boolean tls) {
    return new RelayConfig(port, bindAddress, d, tls);
  }
}
