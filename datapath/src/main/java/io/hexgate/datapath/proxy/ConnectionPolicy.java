package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.PolicyRef;
import java.util.List;

/**
 * The HTTP rules in force on one redirected connection and who its ends are.
 *
 * @param http the union of the redirecting entries' rules: a request passes when any one matches; an empty
 *     list allows every request
 * @param policies the policies the rules come from, for the flows
 */
public record ConnectionPolicy(long sourceIdentity, long destinationIdentity, List<HttpMatch> http,
    List<PolicyRef> policies) {
  public ConnectionPolicy {
    http = List.copyOf(http);
    policies = List.copyOf(policies);
  }
}
