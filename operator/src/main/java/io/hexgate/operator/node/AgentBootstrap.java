package io.hexgate.operator.node;

import io.grpc.Status;
import io.grpc.StatusException;
import io.hexgate.contract.v1.BootstrapRequest;
import io.hexgate.contract.v1.BootstrapResponse;

/** Issues a first certificate to an agent that has none, on proof of which pod it is (not of a certificate). */
public interface AgentBootstrap {
  /** Refuses every request: the endpoint does not bootstrap agents (in-process agents, tests). */
  AgentBootstrap NONE =
      request -> {
        throw Status.UNIMPLEMENTED.withDescription("this operator does not bootstrap agents").asException();
      };

  /**
   * The node's client certificate.
   *
   * @throws StatusException with the reason, when the request is refused
   */
  BootstrapResponse bootstrap(BootstrapRequest request) throws StatusException;
}
