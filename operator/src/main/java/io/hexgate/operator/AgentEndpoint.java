package io.hexgate.operator;

import io.hexgate.operator.node.NodeAgentService;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Where node agents reach the operator's {@code NodeAgentService}, and how it trusts the node they name. */
public sealed interface AgentEndpoint {
  /**
   * Production: a port serving mutual TLS with a CA kept in a Secret of the client's namespace.
   *
   * @param port 0 picks a free one
   * @param dnsNames names in the serving certificate; empty for hexgate-operator, its Service name in the
   *     client's namespace and localhost
   * @param certificateLifetime of the certificates issued: the serving one and agents' renewals
   */
  record Tls(int port, String caSecret, List<String> dnsNames, Duration certificateLifetime) implements AgentEndpoint {
    public Tls {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("agent-port must be between 0 and 65535, got " + port);
      }
      Objects.requireNonNull(caSecret, "ca-secret");
      dnsNames = List.copyOf(dnsNames);
      Objects.requireNonNull(certificateLifetime, "cert-lifetime");
      if (certificateLifetime.isNegative() || certificateLifetime.isZero()) {
        throw new IllegalArgumentException("cert-lifetime must be positive, got " + certificateLifetime);
      }
    }

    @Override
    public NodeAgentService.Authentication authentication() {
      return NodeAgentService.Authentication.REQUIRE_CERTIFICATE;
    }

    /** The certificate's names for an operator in {@code namespace}. */
    public List<String> dnsNames(String namespace) {
      return dnsNames.isEmpty()
          ? List.of("hexgate-operator", "hexgate-operator." + namespace + ".svc", "localhost")
          : dnsNames;
    }
  }

  /** Agents in the same process on an in-process gRPC channel of this name; they name their node themselves. */
  record InProcess(String name) implements AgentEndpoint {
    public InProcess {
      Objects.requireNonNull(name, "in-process server name");
    }

    @Override
    public NodeAgentService.Authentication authentication() {
      return NodeAgentService.Authentication.TRUST_CLAIM;
    }
  }

  /** The caller serves {@code HexgateOperator.agentService()} itself (its own server, a route to the leader). */
  record ServedByCaller(NodeAgentService.Authentication authentication) implements AgentEndpoint {
    public ServedByCaller {
      Objects.requireNonNull(authentication, "authentication");
    }
  }

  /** Whether an agent's claimed node must match a verified client certificate at this endpoint. */
  NodeAgentService.Authentication authentication();
}
