package io.hexgate.operator.node;

import io.hexgate.contract.v1.EndpointState;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.util.Set;

/**
 * One endpoint as its agent receives it, kept already encoded: it is compared on every render and sent
 * as is, and an unchanged endpoint keeps the same instance across revisions.
 *
 * @param policies the policies whose rules select the endpoint (for status, not sent)
 */
public record NodeEndpoint(Endpoint.Key key, EndpointState state, Set<PolicyRef> policies) {
  public NodeEndpoint {
    policies = Set.copyOf(policies);
  }
}
